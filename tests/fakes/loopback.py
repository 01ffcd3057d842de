"""The loopback HTTP server every fake runs on: a free port on 127.0.0.1, a thread serving it,
and a clean stop. The fakes differ in what they check and answer (their handlers), not in this."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer:
    """Serves ``handler`` until ``close``; ``fake`` is reachable from the handler as
    ``self.server.fake`` (handlers defined at module level find their fake there)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, fake: Any = None, name: str = "fake") -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.fake = fake  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=name, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
