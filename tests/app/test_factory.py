"""The assembled app: error format on unknown routes and methods, static files, headers."""
from __future__ import annotations


async def test_unknown_api_route_is_json_404(http, db):
    response = await http.get("/court/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "接口不存在"}}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_wrong_method_is_json_405(http, db):
    response = await http.delete("/court/api/v1/services")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_unknown_page_is_a_chinese_page(http, db):
    response = await http.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "页面不存在" in response.text and "text/html" in response.headers["content-type"]


async def test_robots_txt_disallows_everything(http, db):
    response = await http.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /" in response.text


async def test_path_ids_outside_the_row_id_range_are_404_not_500(http, db):
    from service.choices import CourtSystem
    from tests.factories import make_client

    _, _, auth = await make_client(system=CourtSystem.DOSSIER)
    for huge in ("99999999999999999999999", "2147483648", "-5", "0"):
        for path in (f"/court/api/v1/services/{huge}", f"/court/api/v1/services/{huge}/events",
                     f"/court/api/v1/documents/{huge}"):
            response = await http.get(path, headers=auth)
            assert response.status_code == 404, (path, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
        response = await http.post(f"/court/api/v1/services/{huge}/revoke", headers=auth, json={"reason": "x"})
        assert response.status_code == 404
        for path in (f"/d/{huge}", f"/d/1/documents/{huge}", f"/portal/cases/{huge}", f"/portal/documents/{huge}/download"):
            response = await http.get(path, headers={"accept": "text/html"})
            assert response.status_code == 404, (path, response.status_code)
            assert "页面不存在" in response.text
    # A receipt number longer than any we issue names nothing either.
    response = await http.get("/court/api/v1/receipts/" + "%C2%B5" * 20 + ".pdf", headers=auth)
    assert response.status_code == 404 and response.json()["error"]["code"] == "receipt_not_found"


async def test_control_characters_in_a_path_are_404_not_500(http, db):
    for path in ("/static/%00", "/static/portal.css%00.js", "/s/abc%00def", "/verify/SD%01X",
                 "/court/api/v1/services/%00"):
        response = await http.get(path)
        assert response.status_code == 404, (path, response.status_code)
    assert (await http.get("/static/portal.css")).status_code == 200


async def test_production_answers_carry_hsts_and_dev_does_not(http, db, monkeypatch):
    import httpx
    from sanic import Sanic

    from app import factory
    from core.settings import Mode, Settings

    assert "strict-transport-security" not in (await http.get("/portal/login")).headers  # dev: plain HTTP
    # Production's configuration checks and providers (seal, SMS, WeChat) are not under test here.
    monkeypatch.setattr(Settings, "check_production", lambda self: None)
    dev_providers = factory.providers(db)
    monkeypatch.setattr(factory, "providers", lambda settings: dev_providers)
    Sanic.test_mode = True
    app = factory.create_app(db.model_copy(update={"mode": Mode.PRODUCTION}), manage_database=False)
    app.asgi = True
    await app._startup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as client:
        for path in ("/portal/login", "/court/api/v1/services", "/robots.txt"):
            hsts = (await client.get(path)).headers["strict-transport-security"]
            assert hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) >= 31536000
            assert "includeSubDomains" in hsts


async def test_every_405_names_the_allowed_methods(http, db):
    for method, path in (("TRACE", "/portal/login"), ("TRACE", "/court/api/v1/services"),
                         ("PUT", "/portal/login"), ("DELETE", "/court/api/v1/services")):
        response = await http.request(method, path)
        assert response.status_code == 405, (method, path)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert "GET" in allowed and method not in allowed
