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
