"""The court seal: made once per data dir in dev, loaded from PKCS#12 in production, and a check
that tells a verifier exactly what is wrong with a file."""
from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen.canvas import Canvas

from core.settings import ConfigurationError
from receipts.data import ReceiptData, ReceiptDocument
from receipts.layout import render_receipt
from receipts.seal import (
    DEV_BUNDLE,
    DEV_DIR,
    FIELD_NAME,
    SealCheck,
    Sealer,
    SealingFailed,
    SealPlacement,
    _dev_seal,
)
from tests.conftest import make_settings

COURT = "北京市朝阳区人民法院"


def receipt_pdf(test_certificate: bool = True) -> bytes:
    at = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)
    return render_receipt(ReceiptData(
        receipt_no="SD2024000123", court_name=COURT, case_number="（2024）京0105民初12345号", cause="买卖合同纠纷",
        recipient_name="张三", recipient_role="被告", recipient_id_masked=None,
        documents=[ReceiptDocument("应诉通知书", "通知书", 2, "ab" * 32)], channel_label="手机短信",
        electronic_address_masked="138****1234", consent_label="送达地址确认书", times=[("发送", at)],
        identity_proof="短信验证码验证通过", ip="203.0.113.45", device="test", signature_png=None,
        served_by=COURT, effect_rule="在线诉讼规则第31条第1款", effect_reason="到达即生效", effective_at=at,
        verify_url="https://songda.example.gov.cn/verify/SD2024000123", test_certificate=test_certificate,
    ))


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return receipt_pdf()


@pytest.fixture
def sealer(tmp_path) -> Sealer:
    return Sealer.from_settings(make_settings(tmp_path / "var"), court_name=COURT)


@pytest.fixture
def sealed(sealer, pdf) -> bytes:
    return sealer.seal(pdf)


def signed_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    return tuple(int(g) for g in match.groups())


# -- dev seal ------------------------------------------------------------------------------------

def test_dev_seal_is_created_once_and_reused(tmp_path):
    settings = make_settings(tmp_path / "var")
    first = Sealer.from_settings(settings, court_name=COURT)
    bundle = settings.data_dir / DEV_DIR / DEV_BUNDLE
    written = bundle.read_bytes()
    second = Sealer.from_settings(settings, court_name="另一个法院")
    assert first.is_test and second.is_test
    assert first.signer.signing_cert.dump() == second.signer.signing_cert.dump()
    assert bundle.read_bytes() == written
    assert bundle.stat().st_mode & 0o077 == 0  # the key is not readable by others
    assert first.signer.signing_cert.subject.native["common_name"] == f"{COURT} 测试电子印章"
    (root,) = first.trust_roots()
    assert root.subject.native["common_name"] == "songda 测试根证书"
    assert first.signer.signing_cert.key_usage_value.native == {"digital_signature", "non_repudiation"}


def test_racing_processes_end_up_with_one_test_ca(tmp_path):
    directory = tmp_path / DEV_DIR
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: _dev_seal(directory, COURT), range(4)))
    certs = {signer.signing_cert.dump() for signer, _ in results}
    assert len(certs) == 1
    assert [p.name for p in directory.iterdir() if p.name.endswith(".tmp")] == []


def test_production_refuses_the_test_seal(tmp_path):
    with pytest.raises(ConfigurationError, match="SONGDA_SEAL_PKCS12_PATH"):
        Sealer.from_settings(make_settings(tmp_path, mode="production"))


# -- sealing and checking ------------------------------------------------------------------------

def test_sealed_receipt_checks_out(sealer, sealed):
    check = sealer.check(sealed)
    assert check == SealCheck(sealed=True, intact=True, valid=True, trusted=True, signer=f"{COURT} 测试电子印章",
                              covers_whole_file=True, reason="印章有效")
    assert check.ok
    (signature,) = PdfFileReader(io.BytesIO(sealed)).embedded_signatures
    assert signature.field_name == FIELD_NAME
    assert signature.sig_object["/Reason"] == "电子送达凭证"
    assert signature.sig_object["/Location"] == COURT
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_one_flipped_byte_inside_the_signed_range_is_a_modification(sealer, sealed):
    start, length, _, _ = signed_range(sealed)
    offset = sealed.index(b"ReportLab", start, start + length)  # a comment: the file still parses
    tampered = bytearray(sealed)
    tampered[offset] ^= 0x20
    check = sealer.check(bytes(tampered))
    assert check.sealed and not check.intact and not check.ok
    assert check.reason == "文件被修改"


def test_an_appended_incremental_update_is_a_modification(sealer, sealed):
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    check = sealer.check(out.getvalue())
    assert check.sealed and check.intact and check.trusted
    assert not check.covers_whole_file and not check.ok
    assert check.reason == "文件被修改"


def test_a_different_signer_is_not_trusted(tmp_path, sealer, pdf):
    stranger = Sealer.from_settings(make_settings(tmp_path / "elsewhere"), court_name="伪造法院")
    check = sealer.check(stranger.seal(pdf))
    assert check.sealed and check.intact and check.valid and check.covers_whole_file
    assert not check.trusted and not check.ok
    assert check.signer == "伪造法院 测试电子印章"
    assert check.reason == "签名证书不受信任"


def test_unsealed_pdf(sealer, pdf):
    assert sealer.check(pdf) == SealCheck(False, False, False, False, "", False, "文件未加盖电子印章")


@pytest.mark.parametrize("garbage", [b"", b"garbage bytes", b"%PDF-1.4\n%broken", b"\x00" * 4096])
def test_garbage_is_unreadable(sealer, garbage):
    check = sealer.check(garbage)
    assert not check.sealed and check.reason == "无法读取的PDF"


def test_truncated_sealed_file_never_raises(sealer, sealed):
    for cut in (len(sealed) // 3, len(sealed) // 2, len(sealed) - 10):
        assert not sealer.check(sealed[:cut]).ok


def test_sealing_twice_is_refused_as_an_app_error(sealer, sealed):
    with pytest.raises(SealingFailed):
        sealer.seal(sealed)


async def test_async_variants_run_inside_an_event_loop(sealer, pdf):
    sealed = await sealer.seal_async(pdf)
    assert (await sealer.check_async(sealed)).ok
    assert (await sealer.check_async(b"nope")).reason == "无法读取的PDF"


# -- production: PKCS#12 -------------------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, COURT)])


def make_pkcs12(password: bytes, *, days: int = 365) -> bytes:
    now = datetime.now(timezone.utc) - timedelta(days=1)
    ca_key, seal_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("测试 CA")).issuer_name(_name("测试 CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    seal = (x509.CertificateBuilder().subject_name(_name(f"{COURT}电子印章")).issuer_name(ca.subject)
            .public_key(seal_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"seal", seal_key, seal, [ca],
                                                 serialization.BestAvailableEncryption(password))


def test_pkcs12_with_the_wrong_password_stops_start_up(tmp_path):
    path = tmp_path / "seal.p12"
    path.write_bytes(make_pkcs12(b"right"))
    with pytest.raises(ConfigurationError) as error:
        Sealer.from_settings(make_settings(tmp_path, seal_pkcs12_path=path, seal_pkcs12_password="Hunter2!"))
    assert "SONGDA_SEAL_PKCS12_PASSWORD" in str(error.value)
    assert "Hunter2!" not in str(error.value)  # a secret never reaches a message


def test_missing_pkcs12_file_names_the_path_setting(tmp_path):
    with pytest.raises(ConfigurationError, match="SONGDA_SEAL_PKCS12_PATH"):
        Sealer.from_settings(make_settings(tmp_path, seal_pkcs12_path=tmp_path / "absent.p12",
                                           seal_pkcs12_password="x"))


def test_expired_pkcs12_certificate_stops_start_up(tmp_path):
    path = tmp_path / "seal.p12"
    path.write_bytes(make_pkcs12(b"right", days=0))
    with pytest.raises(ConfigurationError, match="过期"):
        Sealer.from_settings(make_settings(tmp_path, seal_pkcs12_path=path, seal_pkcs12_password="right"))


def test_pkcs12_with_the_right_password_seals_and_validates(tmp_path):
    path = tmp_path / "seal.p12"
    path.write_bytes(make_pkcs12(b"right"))
    sealer = Sealer.from_settings(make_settings(tmp_path, seal_pkcs12_path=path, seal_pkcs12_password="right"))
    assert not sealer.is_test
    assert sealer.location == COURT  # from the certificate's organisation
    assert [c.subject.native["common_name"] for c in sealer.trust_roots()] == ["测试 CA"]
    check = sealer.check(sealer.seal(receipt_pdf(test_certificate=False)))
    assert check.ok and check.signer == f"{COURT}电子印章"
    dev = Sealer.from_settings(make_settings(tmp_path / "dev"))
    assert dev.check(sealer.seal(receipt_pdf())).reason == "签名证书不受信任"


# -- RFC 3161 timestamp --------------------------------------------------------------------------

@pytest.fixture
def tsa_url():
    """A local time-stamping authority: pyHanko's DummyTimeStamper (RSA only) behind HTTP."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(_name("测试 TSA")).issuer_name(_name("测试 TSA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(body)
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", requests
    server.shutdown()
    server.server_close()


def test_timestamp_only_when_a_tsa_is_configured(tmp_path, pdf, tsa_url, sealed):
    url, requests = tsa_url
    sealer = Sealer.from_settings(make_settings(tmp_path / "var", tsa_url=url))
    stamped = sealer.seal(pdf)
    assert requests, "the TSA was asked"
    assert sealer.check(stamped).ok
    (signature,) = PdfFileReader(io.BytesIO(stamped)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=sealer.trust_roots()))
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    (plain,) = PdfFileReader(io.BytesIO(sealed)).embedded_signatures
    assert validate_pdf_signature(plain, ValidationContext(trust_roots=sealer.trust_roots())).timestamp_validity is None


def test_plain_reportlab_pdf_is_unsealed(sealer, tmp_path):
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "hello")
    canvas.save()
    assert sealer.check(out.getvalue()).reason == "文件未加盖电子印章"


# -- the seal's visible appearance ---------------------------------------------------------------

def _placed(**overrides):
    from receipts.layout import render_receipt_placed

    at = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)
    values = dict(
        receipt_no="SD2024000123", court_name=COURT, case_number="（2024）京0105民初12345号", cause="买卖合同纠纷",
        recipient_name="张三", recipient_role="被告", recipient_id_masked=None,
        documents=[ReceiptDocument("应诉通知书", "通知书", 2, "ab" * 32)], channel_label="手机短信",
        electronic_address_masked="138****1234", consent_label="送达地址确认书", times=[("发送", at)],
        identity_proof="短信验证码验证通过", ip="203.0.113.45", device="test", signature_png=None,
        served_by=COURT, effect_rule="在线诉讼规则第31条第1款", effect_reason="到达即生效", effective_at=at,
        verify_url="https://songda.example.gov.cn/verify/SD2024000123", test_certificate=True,
        court_phone="010-12368000")
    values.update(overrides)
    return render_receipt_placed(ReceiptData(**values))


def _widget(pdf: bytes):
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (signature,) = reader.embedded_signatures
    field = signature.sig_field
    return reader, signature, [float(v) for v in field["/Rect"]], field.get("/AP")


def test_the_seal_is_visible_at_the_served_by_row_and_still_validates(sealer, tmp_path):
    import subprocess

    rendered = _placed()
    sealed = sealer.seal(rendered.pdf, visible=SealPlacement(rendered.seal_page, rendered.seal_box, COURT))
    _, signature, rect, appearance = _widget(sealed)
    assert rect == [float(v) for v in rendered.seal_box] and rect[2] - rect[0] > 80  # about 30 mm
    assert appearance is not None  # a drawn appearance, not an invisible field
    assert sealer.check(sealed).ok
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=sealer.trust_roots()))
    assert status.intact and status.valid and status.trusted
    target = tmp_path / "sealed.pdf"
    target.write_bytes(sealed)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "法院电话：010-12368000" in text
    # The page around the seal is red where the stand-in is drawn.
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(target), str(tmp_path / "p")], check=True)
    from PIL import Image

    page = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    scale = 50 / 72
    x1, y1, x2, y2 = rendered.seal_box
    crop = page.crop((int(x1 * scale), int(page.height - y2 * scale), int(x2 * scale), int(page.height - y1 * scale)))
    pixels = [crop.getpixel((x, y)) for x in range(crop.width) for y in range(crop.height)]
    red = sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90)
    assert red > 50


def test_dev_stand_in_says_test_and_a_court_image_replaces_it(tmp_path):
    from PIL import Image

    from receipts.seal_image import stand_in_seal
    from tests.conftest import make_settings

    assert stand_in_seal(COURT).size == (600, 600)
    image_path = tmp_path / "seal.png"
    Image.new("RGBA", (300, 300), (0, 0, 255, 255)).save(image_path)
    settings = make_settings(tmp_path / "var").model_copy(update={"seal_image_path": image_path})
    custom = Sealer.from_settings(settings, court_name=COURT)
    assert custom.appearance_image(COURT).getpixel((10, 10)) == (0, 0, 255, 255)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ConfigurationError, match="SONGDA_SEAL_IMAGE_PATH"):
        Sealer.from_settings(settings.model_copy(update={"seal_image_path": broken}), court_name=COURT)
