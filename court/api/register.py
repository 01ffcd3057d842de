"""The court intake API's routes (``/court/api/v1``)."""
from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from court.api.feedback_routes import bp as feedback
    from court.api.routes import bp as api

    app.blueprint(api)
    app.blueprint(feedback)
