"""Sanic hello-world baseline for the benches: what the framework and the client cost alone.

``python bench/hello.py --host 127.0.0.1 --port 8001 --workers 1``

Served the way ``python -m app serve`` serves the product (AppLoader + Sanic.serve, access log
off, no motd), so a ratio against it isolates the cost of our own code and the database.
"""
from __future__ import annotations

import argparse

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sanic.worker.loader import AppLoader


def create_app() -> Sanic:
    app = Sanic("hello")

    @app.get("/")
    async def ready(request: Request) -> HTTPResponse:
        return json({"ok": True})

    @app.post("/")
    async def echo(request: Request) -> HTTPResponse:
        # Parse the body like the real endpoint does, so JSON decoding is in the baseline too.
        body = request.json
        return json({"ok": True, "keys": len(body) if isinstance(body, dict) else 0}, status=201)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=args.workers, access_log=False, motd=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
