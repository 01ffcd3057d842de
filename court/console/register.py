"""The clerk console's routes (``/console``)."""
from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from court.console.address_routes import bp as addresses
    from court.console.announcement_routes import bp as announcements
    from court.console.announcement_routes import callback_bp as announcement_callback
    from court.console.announcement_routes import public_bp as announcement_public
    from court.console.entrusted_routes import bp as entrusted
    from court.console.escalation_routes import bp as escalation
    from court.console.inperson_routes import bp as inperson
    from court.console.mail_routes import bp as mail_pages
    from court.console.mail_routes import push_bp as mail_push
    from court.console.phone_routes import bp as phone
    from court.console.routes import bp as pages
    from court.console.task_routes import bp as task_pages
    from court.console.tracking_routes import bp as tracking

    app.blueprint(pages)
    app.blueprint(escalation)
    app.blueprint(task_pages)
    app.blueprint(tracking)
    app.blueprint(mail_pages)
    app.blueprint(mail_push)
    app.blueprint(phone)
    app.blueprint(inperson)
    app.blueprint(addresses)
    app.blueprint(announcements)
    app.blueprint(announcement_callback)
    app.blueprint(announcement_public)
    app.blueprint(entrusted)
