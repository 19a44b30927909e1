"""The portal's HTTP side: a threaded server on loopback whose handler reads one request and
writes the `Answer` the portal gives (`server.Portal.handle`), or drops the connection.

Nothing here logs the path: the webhook token is part of it.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ics2b24.portal.answer import Answer
from ics2b24.portal.wire import decode_request

log = logging.getLogger("ics2b24.portal")

Respond = Callable[[str, Callable[[], dict[str, Any]]], Answer]
"""The portal's answer to a path and its lazily decoded parameters."""


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    """socketserver's default listen backlog is 5: clients that open 50 connections at once
    (fast-bitrix24 does) then meet dropped connections no real portal would cause."""

    def __init__(self, address: tuple[str, int], respond: Respond) -> None:
        super().__init__(address, _Handler)
        self.respond = respond

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or rejects the certificate is worth one line, not a trace."""
        exc = sys.exc_info()[1]
        log.info("connection failed: %s", type(exc).__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HttpServer
    server_version = "ics2b24-portal"

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default line holds the path, and the path holds the webhook token."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        content_type = self.headers.get("Content-Type", "")
        answer = self.server.respond(
            url.path, lambda: decode_request(url.query, body, content_type)
        )
        if answer.drop:
            self._drop()
            return
        payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close without an answer, with a TCP reset: the client cannot tell what happened."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            return
