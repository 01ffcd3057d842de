"""The clerk console's routes (``/console``)."""
from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from court.console.inperson_routes import bp as inperson
    from court.console.routes import bp as pages

    app.blueprint(pages)
    app.blueprint(inperson)
