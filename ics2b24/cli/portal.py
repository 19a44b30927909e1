"""`portal serve`: start the embedded test portal."""

from __future__ import annotations

import click

from ics2b24.bitrix.limits import DEFAULT_RATE
from ics2b24.cli.root import cli
from ics2b24.portal.profile import DEFAULT_SERVER_ZONE, DEFAULT_USER_ZONE


@cli.group()
def portal() -> None:
    """The embedded Bitrix24 test portal."""


@portal.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port (0: any free port).")
@click.option("--data", type=click.Path(dir_okay=False), metavar="FILE",
              help="SQLite file that keeps everything across restarts (default: memory).")
@click.option("--users", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="JSON {\"users\": [...], \"apps\": [...], \"groups\": [...]} to seed "
              "(default: admin user 1; groups 1 to 9).")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a self-signed certificate, kept "
              "beside --data as FILE.pem (clients trust it with --ca-cert FILE.pem).")
@click.option("--faults", metavar="SPEC", help="Probabilities per request of a 503 (rate), a "
              "500 (error) and a dropped connection (reset), added latency (latency=0-200ms or "
              "1s) and the seed, e.g. 'rate=0.1,error=0.02,reset=0.01,latency=0-200ms,seed=1'.")
@click.option("--rate", default=DEFAULT_RATE, show_default=True, metavar="Y/X",
              help="Leaky bucket: Y requests per second, burst X.")
@click.option("--operating", default="480/600", show_default=True, metavar="L/W",
              help="Operating time: L seconds of method time per W-second window.")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Run limits and costs K times faster.")
@click.option("--token-ttl", type=int, default=3600, show_default=True,
              help="Seconds an OAuth access token lives.")
@click.option("--generation", type=click.Choice(["1", "3"]), default="3", show_default=True,
              callback=lambda _ctx, _param, value: int(value),
              help="Calendar code to play: 3 is what a cloud portal runs today, 1 an older "
              "self-hosted portal (no recurrence_mode).")
@click.option("--server-zone", default=DEFAULT_SERVER_ZONE, show_default=True, metavar="ZONE",
              help="The server's time zone; the portal moves values by each user's offset "
              "from it.")
@click.option("--user-zone", default=DEFAULT_USER_ZONE, show_default=True, metavar="ZONE",
              help="Time zone of the default admin and of --users entries without one.")
@click.option("--unlisted-zone", "unlisted_zones", multiple=True, metavar="ZONE",
              help="A zone name to play as missing from the server's zone data (an older "
              "tzdata, e.g. Europe/Kyiv): events sent in it get the server's zone. Repeatable.")
@click.option("--webhooks", type=int, default=1, show_default=True, metavar="N",
              help="Inbound webhooks of the first user, each with its own operating-time "
              "limit (all share the request rate); one URL a line on stdout.")
def portal_serve(**kwargs: object) -> None:
    """Start the test portal and print its webhook URLs (one line each on stdout)."""
    from ics2b24.portal.serve import serve_from_cli

    serve_from_cli(**kwargs)
