"""Running sanic with our factory, one or many worker processes."""
from __future__ import annotations

from sanic import Sanic
from sanic.worker.loader import AppLoader

from app.factory import create_app


def serve(*, host: str, port: int, workers: int = 1, access_log: bool = False) -> None:
    # The loader lets every worker process build its own app (own DB pool, own hooks).
    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(host=host, port=port, workers=workers, access_log=access_log, motd=False)
    Sanic.serve(primary=app, app_loader=loader)
