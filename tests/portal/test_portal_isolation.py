"""Isolation matrix over every portal route: the SMS-link pages (/s/…, /d/<id>/…) and the portal
login pages (/portal/…). Litigants A and B are served in different cases; each of them, logged in
through the portal or verified through their own SMS link, asks for the other's ids. Every answer
is 404 (403 for a POST that carries no valid CSRF token), and no answer carries the other's data.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from portal.pages import csrf_token
from service.models import Delivery
from service.notices import create_short_link
from tests.factories import phone
from tests.portal.test_portal_login import csrf, last_code, login, outbox, person, serve


@dataclass
class Litigant:
    name: str
    number: str
    case_id: int
    case_number: str
    link_delivery: int
    portal_delivery: int
    document: int
    link_token: str


async def litigant(db, name: str) -> Litigant:
    number = phone()
    service, people, docs = await serve(db, [person("p", number, name=name)], documents=1)
    recipient = people["p"]
    sms = await Delivery.get(recipient=recipient, channel="sms")
    portal = await Delivery.get(recipient=recipient, channel="portal")
    await service.fetch_related("case")
    return Litigant(name, number, service.case_id, service.case.case_number, sms.id, portal.id, docs[0].id,
                    await create_short_link(sms, now=datetime.now(timezone.utc)))


async def link_verified(http, db, who: Litigant) -> str:
    """Through the SMS link: open, text a code, verify. Returns the session's CSRF token."""
    assert (await http.get(f"/s/{who.link_token}")).status_code == 303
    token = csrf((await http.get(f"/d/{who.link_delivery}")).text)
    assert (await http.post(f"/d/{who.link_delivery}/code", data={"csrf_token": token})).status_code == 303
    done = await http.post(f"/d/{who.link_delivery}/verify",
                           data={"csrf_token": token, "code": last_code(db, who.number)})
    assert done.status_code == 303, done.text
    return csrf_token(db, http.cookies.get("songda_sid"))  # the rotated session's token


async def portal_logged_in(http, db, who: Litigant) -> str:
    await login(http, db, who.number)
    return csrf((await http.get("/portal/")).text)


def get_routes(own: Litigant, other: Litigant) -> list[str]:
    d, doc = other.link_delivery, other.document
    return [
        f"/s/{secrets.token_urlsafe(16)}",  # a token is the credential itself: an unknown one is 404
        f"/d/{d}", f"/d/{d}/documents", f"/d/{d}/documents/{doc}", f"/d/{d}/documents/{doc}/pages/1.png",
        f"/d/{d}/documents/{doc}/download", f"/d/{d}/sign", f"/d/{d}/signed", f"/d/{d}/receipt.pdf",
        f"/d/{other.portal_delivery}", f"/d/{other.portal_delivery}/documents",
        f"/d/{other.portal_delivery}/documents/{doc}", f"/d/{other.portal_delivery}/documents/{doc}/pages/1.png",
        f"/d/{other.portal_delivery}/documents/{doc}/download", f"/d/{other.portal_delivery}/sign",
        f"/d/{other.portal_delivery}/signed", f"/d/{other.portal_delivery}/receipt.pdf",
        # Own portal delivery, the other's document.
        f"/d/{own.portal_delivery}/documents/{doc}", f"/d/{own.portal_delivery}/documents/{doc}/download",
        # Own delivery, the other's document.
        f"/d/{own.link_delivery}/documents/{doc}", f"/d/{own.link_delivery}/documents/{doc}/pages/1.png",
        f"/d/{own.link_delivery}/documents/{doc}/download",
        f"/portal/cases/{other.case_id}", f"/portal/cases/{other.case_id}/documents.zip",
        f"/portal/documents/{doc}/download",
    ]


def post_routes(other: Litigant) -> list[str]:
    d = other.link_delivery
    return [f"/d/{d}/code", f"/d/{d}/verify", f"/d/{d}/sign", f"/d/{other.portal_delivery}/sign",
            f"/d/{other.portal_delivery}/code", "/portal/logout", "/portal/login/code",
            "/portal/login/verify"]


def assert_nothing_of(response, other: Litigant) -> None:
    body = response.content
    assert not body.startswith((b"%PDF", b"PK", b"\x89PNG")), response.request.url
    text = response.text if response.headers.get("content-type", "").startswith("text/") else ""
    for secret in (other.name, other.case_number, other.number[:3] + "****" + other.number[-4:], other.number):
        assert secret not in text, (response.request.url, secret)


@pytest.mark.parametrize("mode", ["link", "portal"])
async def test_each_user_gets_404_for_the_other_users_ids(http, db, mode):
    a, b = await litigant(db, "甲某某"), await litigant(db, "乙某某")
    for own, other in ((a, b), (b, a)):
        http.cookies.clear()
        token = await (link_verified if mode == "link" else portal_logged_in)(http, db, own)
        # Positive control: the same session reaches its own data, so the 404s below mean something.
        mine = (f"/d/{own.link_delivery}/documents/{own.document}/download" if mode == "link"
                else f"/portal/cases/{own.case_id}/documents.zip")
        assert (await http.get(mine)).status_code == 200
        for path in get_routes(own, other):
            response = await http.get(path)
            if mode == "link" and path.startswith("/portal/"):
                # A link session is not a portal login: the portal sends it to the login page.
                assert response.status_code == 303 and response.headers["location"] == "/portal/login", path
            else:
                assert response.status_code == 404, (mode, path, response.status_code)
            assert_nothing_of(response, other)
        for path in post_routes(other):
            for data in ({}, {"csrf_token": token, "code": "123456", "confirm": "1", "phone": other.number}):
                response = await http.post(path, data=data)
                if path == "/portal/logout" and data and mode == "portal":
                    continue  # a valid logout of one's own session (checked last below)
                assert response.status_code in (403, 404), (mode, path, data, response.status_code)
                assert_nothing_of(response, other)
        if mode == "portal":
            assert (await http.get(f"/portal/cases/{own.case_id}")).status_code == 303  # logged out above
    # No code ever went to the other's phone from the other's routes being poked.
    assert sorted(m["phone"] for m in outbox(db) if m["template"] == "code") == sorted([a.number, b.number])


async def test_anonymous_visitor_reaches_nothing(http, db):
    a = await litigant(db, "甲某某")
    for path in get_routes(a, a):
        response = await http.get(path)
        if path.startswith("/portal/"):
            assert response.status_code == 303 and response.headers["location"] == "/portal/login", path
        else:
            assert response.status_code == 404, path
        assert_nothing_of(response, a)
    for path in post_routes(a):
        response = await http.post(path, data={"code": "123456", "phone": a.number})
        assert response.status_code in (403, 404), path
        assert_nothing_of(response, a)
