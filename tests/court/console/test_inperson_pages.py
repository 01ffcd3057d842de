"""The in-person console routes over HTTP: the desk form with its CSRF token and files, the field
API (CSRF header, resumable chunks, refusals as JSON, other servers' uploads), the receipt PDF."""
from __future__ import annotations

import base64
import hashlib

from court.console.models import StaffAccount
from inperson.models import Capture
from service.choices import TaskStatus
from service.models import Attempt
from tests.centre.media import jpeg
from tests.court.console.helpers import csrf, post_login, totp
from tests.factories import make_staff, signature_png
from tests.inperson.helpers import inperson_tasks


async def _sign_in(http, db, account_id: int) -> str:
    """Log in a centre staff member made by ``centre_people`` (password reset to a known one)."""
    account = await StaffAccount.get(id=account_id)
    again, password, secret = await make_staff(await account.court, "process_server", settings=db)
    await StaffAccount.filter(id=account.id).update(password_hash=again.password_hash,
                                                     totp_secret_cipher=again.totp_secret_cipher)
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303, done.text
    return csrf((await http.get("/console/desk")).text)


async def test_the_desk_form_serves_the_recipient_and_offers_the_receipt(http, db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)
    token = await _sign_in(http, db, ns.server.staff_id)
    found = await http.get("/console/desk", params={"name": ns.recipient.name})
    assert f"/console/desk/{ns.task.id}" in found.text
    png = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    form = {"csrf_token": token, "collector": "recipient", "name": ns.recipient.name, "id_number": ns.id_number,
            "signature": png, "paper": "1"}
    files = {"live_photo": ("live.jpg", jpeg((320, 240)), "image/jpeg"),
             "fingerprint": ("fp.jpg", jpeg((100, 140)), "image/jpeg")}
    refused = await http.post(f"/console/desk/{ns.task.id}", data=form | {"csrf_token": "0" * 64}, files=files)
    assert refused.status_code == 403
    wrong = await http.post(f"/console/desk/{ns.task.id}", data=form | {"name": "李四"}, files=files)
    assert wrong.status_code == 422 and "身份核验未通过" in wrong.text
    done = await http.post(f"/console/desk/{ns.task.id}", data=form, files=files)
    assert done.status_code == 303, done.text
    page = await http.get(done.headers["location"])
    assert "直接送达（来院领取）" in page.text and 'id="receipt-link"' in page.text
    pdf = await http.get(f"/console/inperson/{ns.task.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_the_field_api_resumes_uploads_and_refuses_clearly(http, db):
    ns = await inperson_tasks(db, channel="field")
    token = await _sign_in(http, db, ns.server.staff_id)
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    tasks = (await http.get("/console/api/field/tasks", headers=headers)).json()["tasks"]
    assert [t["id"] for t in tasks] == [ns.task.id] and tasks[0]["map_url"]
    no_csrf = await http.post(f"/console/api/field/tasks/{ns.task.id}/arrive", json={},
                              headers={"Accept": "application/json"})
    assert no_csrf.status_code == 403
    arrived = await http.post(f"/console/api/field/tasks/{ns.task.id}/arrive", headers=headers,
                              json={"latitude": 24.3, "longitude": 109.4, "accuracy": 12,
                                    "device_time": "2026-01-01T08:00:00+08:00"})
    assert arrived.status_code == 200 and arrived.json()["status"] == "in_progress"
    lodged = {"outcome": "served", "method": "lodged", "refusal_reason": "拒绝签收"}
    refused = await http.post(f"/console/api/field/tasks/{ns.task.id}/close", headers=headers, json=lodged)
    assert refused.status_code == 422 and "第89条" in refused.json()["error"]["message"]
    data = jpeg((600, 400))
    start = {"upload_id": "site-photo-01", "kind": "site_photo", "filename": "现场.jpg", "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest(), "latitude": 24.3, "longitude": 109.4}
    begun = await http.post(f"/console/api/field/tasks/{ns.task.id}/uploads", headers=headers, json=start)
    assert begun.status_code == 200 and begun.json()["received"] == 0
    half = len(data) // 2
    first = await http.patch("/console/api/field/uploads/site-photo-01", content=data[:half],
                             headers=headers | {"Upload-Offset": "0"})
    assert first.json()["received"] == half
    status = await http.get("/console/api/field/uploads/site-photo-01", headers=headers)
    assert status.json()["received"] == half
    rest = await http.patch("/console/api/field/uploads/site-photo-01", content=data[half:],
                            headers=headers | {"Upload-Offset": str(half)})
    assert rest.json()["state"] == "complete"
    again = await http.post(f"/console/api/field/tasks/{ns.task.id}/uploads", headers=headers, json=start)
    assert again.json()["state"] == "complete" and await Capture.all().count() == 1
    bad = await http.patch("/console/api/field/uploads/site-photo-01", content=b"x",
                           headers=headers | {"Upload-Offset": "nope"})
    assert bad.status_code == 422
    closed = await http.post(f"/console/api/field/tasks/{ns.task.id}/close", headers=headers, json=lodged)
    assert closed.status_code == 200, closed.text
    assert closed.json()["receipt_url"] == f"/console/inperson/{ns.task.id}/receipt.pdf"
    assert (await Attempt.get(id=ns.task.id)).status is TaskStatus.CLOSED
    pdf = await http.get(closed.json()["receipt_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_another_process_server_sees_nothing(http, db):
    ns = await inperson_tasks(db, channel="field")
    token = await _sign_in(http, db, ns.other.staff_id)
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    assert (await http.get("/console/api/field/tasks", headers=headers)).json()["tasks"] == []
    data = jpeg()
    start = {"upload_id": "site-photo-02", "kind": "site_photo", "filename": "a.jpg", "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest()}
    theirs = await http.post(f"/console/api/field/tasks/{ns.task.id}/uploads", headers=headers, json=start)
    assert theirs.status_code == 404
    assert (await http.get(f"/console/inperson/{ns.task.id}/receipt.pdf")).status_code == 404


async def test_the_field_api_is_described_by_a_valid_openapi_document(http, app):
    from openapi_spec_validator import validate

    served = await http.get("/console/api/field/openapi.json")
    assert served.status_code == 200
    spec = served.json()
    validate(spec)
    routes = {(route.path, method) for route in app.router.routes for method in route.methods
              if route.path.startswith("console/api/field/") and not route.path.endswith("openapi.json")}
    documented = {(path.lstrip("/").replace("{", "<").replace("}", ">"), method.upper())
                  for path, item in spec["paths"].items() for method in item if method != "parameters"}
    normalised = {(path.replace("<attempt_id:int>", "<attempt_id>").replace("<upload_id:str>", "<upload_id>"), m)
                  for path, m in routes if m != "HEAD" and m != "OPTIONS"}
    assert normalised == documented


async def test_previews_are_resized_copies_without_the_exif_location(http, db):
    from audit.models import Event
    from inperson.captures import capture_bytes, exif_gps
    from inperson.choices import CaptureKind
    from tests.inperson.helpers import jpeg_with_gps, upload

    ns = await inperson_tasks(db, channel="field")
    original = jpeg_with_gps((900, 600))
    capture = await upload(ns, db, CaptureKind.SITE_PHOTO, original, "现场.jpg")
    assert capture.exif_gps["1"] == "N"                       # kept in the record
    assert await capture_bytes(capture, ns.storage, db) == original   # the original, never re-encoded
    assert not ns.storage.exists(capture.sha256)               # and never stored in the clear
    await _sign_in(http, db, ns.server.staff_id)
    page = await http.get(f"/console/field/{ns.task.id}")
    assert f"/console/inperson/captures/{capture.id}/preview.jpg" in page.text
    preview = await http.get(f"/console/inperson/captures/{capture.id}/preview.jpg")
    assert preview.status_code == 200 and exif_gps(preview.content) is None
    [seen] = await Event.filter(type="pii.revealed")            # a sealed photo seen is a reveal
    assert (seen.actor_id, seen.data["field"], seen.data["preview"]) == (str(ns.server.staff_id), "evidence", True)
    full = await http.get(f"/console/evidence/{capture.evidence_id}")  # the task page's evidence link
    assert full.status_code == 200 and full.content == original
    assert await Event.filter(type="pii.revealed").count() == 2
    assert len(preview.content) < len(original)
    await _sign_in(http, db, ns.other.staff_id)
    assert (await http.get(f"/console/inperson/captures/{capture.id}/preview.jpg")).status_code == 404
