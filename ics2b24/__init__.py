"""ics2b24: make a Bitrix24 portal's calendar match iCalendar data."""

__version__ = "0.1.0"
