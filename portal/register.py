"""The portal's routes: receipt verification, short-link pages, litigant accounts."""
from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from portal.account_routes import bp as account
    from portal.confirmation_routes import bp as confirmation
    from portal.link_routes import bp as links
    from portal.verify import bp as verify

    app.blueprint(verify)
    app.blueprint(links)
    app.blueprint(account)
    app.blueprint(confirmation)
