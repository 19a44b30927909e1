"""`ics2b24 portal serve`: one portal on the flags' address until SIGTERM or SIGINT, its
webhook URLs on stdout for whoever started it."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from ics2b24.errors import UsageError
from ics2b24.portal.config import config_from_cli
from ics2b24.portal.server import Portal

log = logging.getLogger("ics2b24.portal")


def serve_from_cli(**kwargs: Any) -> None:
    """Run the portal until SIGTERM or SIGINT; stdout is the webhook URLs, one a line."""
    config = config_from_cli(**kwargs)
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                            format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            portal = Portal(config).start()
        except OSError as exc:
            where = f"{config.host}:{config.port}"
            raise UsageError(f"cannot listen on {where}: {exc.strerror}") from exc
        try:
            if portal.certificate is not None:
                log.info("TLS certificate: %s", portal.certificate.cert_path)
            sys.stdout.write("".join(url + "\n" for url in portal.webhook_urls))
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        finally:
            portal.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
