"""Serve a WSGI app over real HTTP for a test, on a port the OS picks.

Integration and browser tests talk to the Zoom sandbox and to Conecta itself through sockets, the way
production traffic does (timeouts, concurrent workers, redirects), rather than through a test client.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Skips the per-request access log line; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """`with LiveServer(app) as server: requests.get(server.url + "/")` — threaded, stops cleanly.

    `start()`/`stop()` are there for fixtures that cannot use a `with` block.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> None:
        self.app, self.host, self.requested_port = app, host, port
        self.handler = WSGIRequestHandler if log_requests else _QuietHandler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LiveServer is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        # make_server binds the socket before returning, so .url works at once: no waiting loop needed.
        self._server = make_server(
            self.host, self.requested_port, self.app, threaded=True, request_handler=self.handler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long shutdown() may wait: keep test teardown quick
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()  # ends serve_forever; request threads are daemons and cannot block exit
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
