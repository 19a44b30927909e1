from ics2b24.cli import main

main()
