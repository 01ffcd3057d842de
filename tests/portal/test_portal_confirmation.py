"""送达地址确认书 in the portal: a logged-in litigant confirms addresses with a signature and an
SMS code; another case is 404; a province that does not exist and a wrong code write nothing."""
from __future__ import annotations

import base64
import re

from addresses.choices import AddressSource
from addresses.models import Address, AddressConfirmation
from audit.choices import EventType
from audit.models import Event
from documents.models import Document
from tests.factories import phone, signature_png
from tests.portal.test_portal_login import csrf, last_code, login, outbox, person, serve

PNG_URL = "data:image/png;base64,"
POSTAL = "广西壮族自治区北海市海城区北部湾中路12号"
INTAKE_ADDRESS = "广西柳州市城中区示范路1号"  # tests.factories.recipient_body


def _key(html: str) -> str:
    return re.search(r'name="submission_key" value="([A-Za-z0-9_-]+)"', html).group(1)


def _fields(page: str, **overrides) -> dict:
    return {"csrf_token": csrf(page), "submission_key": _key(page), "postal": POSTAL, "phone": "13800138000",
            "email": "wang@example.com", "wechat": "", "accepted": "1", **overrides}


async def _written() -> tuple[int, int, int, int]:
    return (await AddressConfirmation.all().count(), await Address.filter(source=AddressSource.LITIGANT).count(),
            await Document.filter(kind="address_confirmation").count(),
            await Event.filter(type=EventType.ADDRESS_CONFIRMATION_SIGNED).count())


async def _start(http, db):
    number = phone()
    service, _, _ = await serve(db, [person("a", number)], documents=1)
    await login(http, db, number)
    url = f"/portal/cases/{service.case_id}/address-confirmation"
    case_page = await http.get(f"/portal/cases/{service.case_id}")
    assert f'href="{url}"' in case_page.text
    form = await http.get(url)
    assert form.status_code == 200 and "告知事项" in form.text and "第一百三十七条" in form.text
    return number, service, url, form.text


async def test_confirm_sign_and_download(http, db):
    number, service, url, form = await _start(http, db)
    on_file = form[form.index('id="on-file"'):form.index("</section>", form.index('id="on-file"'))]
    assert "****" in on_file and INTAKE_ADDRESS not in form  # what the court has: masked only
    step2 = await http.post(f"{url}/code", data=_fields(form))
    assert step2.status_code == 200 and 'id="code-sent"' in step2.text and 'id="signature-pad"' in step2.text
    fields = _fields(step2.text, code=last_code(db, number),
                     signature=PNG_URL + base64.b64encode(signature_png()).decode())
    done = await http.post(url, data=fields)
    assert done.status_code == 303, done.text
    [found] = await AddressConfirmation.all()
    assert done.headers["location"] == f"{url}/{found.confirmation_no}"
    page = await http.get(done.headers["location"])
    assert page.status_code == 200 and found.confirmation_no in page.text and POSTAL not in page.text
    pdf = await http.get(f"{url}/{found.confirmation_no}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert await _written() == (1, 3, 1, 1)

    # The same form again (a double tap, a reload): the same confirmation, nothing more written.
    again = await http.post(url, data=fields)
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    assert await _written() == (1, 3, 1, 1)
    # The form now says the address is confirmed.
    assert 'id="already-confirmed"' in (await http.get(url)).text

    # Public check through the QR code's URL: masked facts; the PDF itself says 一致.
    http.cookies.clear()
    verify = await http.get(f"/verify/confirmation/{found.confirmation_no}")
    assert verify.status_code == 200 and found.confirmation_no in verify.text and "王*明" in verify.text and "王小明" not in verify.text
    checked = await http.post(f"/verify/confirmation/{found.confirmation_no}",
                              files={"file": ("c.pdf", pdf.content, "application/pdf")})
    assert checked.status_code == 200 and "一致" in checked.text and "不一致" not in checked.text


async def test_a_case_the_litigant_is_not_in_is_404_and_writes_nothing(http, db):
    number, _, _, form = await _start(http, db)
    other, _, _ = await serve(db, [person("b", phone())], documents=1)
    url = f"/portal/cases/{other.case_id}/address-confirmation"
    assert (await http.get(url)).status_code == 404
    assert (await http.post(f"{url}/code", data=_fields(form))).status_code == 404
    refused = await http.post(url, data=_fields(form, code="123456",
                                                signature=PNG_URL + base64.b64encode(signature_png()).decode()))
    assert refused.status_code == 404 and "案件不存在" in refused.text
    assert await _written() == (0, 0, 0, 0)
    assert [m for m in outbox(db) if m["template"] == "code"] == [m for m in outbox(db)
                                                                  if m["template"] == "code"][:1]  # login only


async def test_a_province_that_does_not_exist_is_refused_in_chinese(http, db):
    number, _, url, form = await _start(http, db)
    refused = await http.post(f"{url}/code", data=_fields(form, postal="火星省奥林匹斯市环形山路1号"))
    assert refused.status_code == 422 and "地址中没有可识别的省、市、区县" in refused.text
    assert 'value="火星省奥林匹斯市环形山路1号"' in refused.text  # what they typed stays
    assert len([m for m in outbox(db) if m["template"] == "code"]) == 1  # no code texted
    # Step 2 posted by hand with the bad province: refused the same way, nothing written.
    forged = await http.post(url, data=_fields(form, postal="火星省奥林匹斯市环形山路1号", code="123456",
                                                signature=PNG_URL + base64.b64encode(signature_png()).decode()))
    assert forged.status_code == 422 and "地址中没有可识别的省、市、区县" in forged.text
    assert await _written() == (0, 0, 0, 0)


async def test_a_wrong_code_is_refused_and_writes_nothing(http, db):
    number, _, url, form = await _start(http, db)
    step2 = await http.post(f"{url}/code", data=_fields(form))
    code = last_code(db, number)
    wrong = "000000" if code != "000000" else "111111"
    refused = await http.post(url, data=_fields(step2.text, code=wrong,
                                                signature=PNG_URL + base64.b64encode(signature_png()).decode()))
    assert refused.status_code == 400 and 'id="error"' in refused.text and "验证码" in refused.text
    assert 'id="signature-pad"' in refused.text  # back on the signing step
    assert await _written() == (0, 0, 0, 0)
    unsigned = await http.post(url, data=_fields(step2.text, code=code, signature=""))
    assert unsigned.status_code == 422 and "手写签名" in unsigned.text
    assert await _written() == (0, 0, 0, 0)
