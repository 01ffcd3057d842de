"""Security headers by kind of path: pages, JSON APIs, static files; a handler's own value wins."""
from __future__ import annotations

from web.security_headers import HSTS, PAGE_CSP, add_security_headers, security_headers

API = ("/court/api/", "/mp/api/")
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


def test_pages_get_csp_no_store_and_no_framing():
    assert security_headers("/d/1", API) == {**COMMON, "Content-Security-Policy": PAGE_CSP,
                                            "Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    assert "frame-ancestors 'none'" in PAGE_CSP and "script-src 'self'" in PAGE_CSP


def test_apis_get_no_store_only():
    assert security_headers("/court/api/v1/services", API) == {**COMMON, "Cache-Control": "no-store"}
    assert security_headers("/mp/api/v1/me", API) == {**COMMON, "Cache-Control": "no-store"}


def test_static_files_keep_their_caching():
    assert security_headers("/static/app.css", API) == COMMON


def test_a_handlers_own_header_is_kept():
    headers = {"Cache-Control": "private, max-age=60"}
    add_security_headers(headers, "/portal/", API)
    assert headers["Cache-Control"] == "private, max-age=60"
    assert headers["X-Frame-Options"] == "DENY"


def test_hsts_only_when_asked_for_and_on_every_kind_of_path():
    for path in ("/d/1", "/court/api/v1/services", "/static/app.css"):
        assert "Strict-Transport-Security" not in security_headers(path, API)
        hsts = security_headers(path, API, hsts=True)["Strict-Transport-Security"]
        assert hsts == HSTS and "includeSubDomains" in hsts
        assert int(hsts.split("max-age=")[1].split(";")[0]) >= 365 * 24 * 3600
