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
