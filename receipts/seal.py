"""The court's electronic seal (电子印章) on receipts: PAdES signatures made and checked with pyHanko.

Production loads the court's certificate from a PKCS#12 file (SONGDA_SEAL_PKCS12_PATH /
SONGDA_SEAL_PKCS12_PASSWORD). Dev, with no path set, makes a self-signed test CA and a seal
certificate under ``data_dir/dev-seal`` the first time it is needed and keeps using them;
receipts sealed that way say 测试证书 (``Sealer.is_test``).

The seal certifies the document (DocMDP, no changes allowed), so any later edit — even a
well-formed incremental update — is reported, not only a broken hash.

pyHanko's synchronous calls run their own event loop (``asyncio.run``): inside a running loop
(a sanic handler) use ``seal_async`` / ``check_async``, or run ``seal`` in a worker thread,
which is better anyway for CPU-bound work.
"""
from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import PdfSignatureMetadata, SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.errors import AppError
from core.settings import ConfigurationError, Mode, Settings
from receipts.seal_image import load_seal_image, plain_mark, stand_in_seal

log = logging.getLogger(__name__)

FIELD_NAME = "CourtSeal"
SEAL_REASON = "电子送达凭证"
DEFAULT_ISSUER = "电子送达平台"
DEV_ROOT_NAME = "songda 测试根证书"
DEV_DIR = "dev-seal"
DEV_BUNDLE = "seal.pem"        # seal key + seal certificate + root certificate, written at once
DEV_ROOT_EXPORT = "root-ca.pem"  # the root alone, to import into a PDF reader when testing

REASON_VALID = "印章有效"
REASON_MODIFIED = "文件被修改"
REASON_UNTRUSTED = "签名证书不受信任"
REASON_UNSEALED = "文件未加盖电子印章"
REASON_UNREADABLE = "无法读取的PDF"


class SealingFailed(AppError):
    """The seal could not be applied (unreadable input, already sealed, TSA unreachable, …)."""

    status = 500
    code = "seal_failed"


class CachedKeySigner(SimpleSigner):
    """pyHanko's SimpleSigner parses its private key again for every signature, and loading an RSA
    key runs OpenSSL's consistency check, slower than the signature itself: twice per seal with the size estimate. This one
    parses it once."""

    @classmethod
    def wrap(cls, signer: SimpleSigner) -> CachedKeySigner:
        return cls(signing_cert=signer.signing_cert, signing_key=signer.signing_key,
                   cert_registry=signer.cert_registry)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:  # an algorithm asn1crypto cannot name: pyHanko's own path handles it
            return super().sign_raw(data, digest_algorithm)
        key = self._private_key()
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA, …: pyHanko's own path

    def _private_key(self):
        key = getattr(self, "_pyca_key", None)
        if key is None:
            key = self._pyca_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        return key


@dataclass(frozen=True)
class SealPlacement:
    """Where the seal's appearance goes: a 0-based page and a box in PDF points (x1, y1, x2, y2)."""

    page: int
    box: tuple[int, int, int, int]
    court_name: str = ""


@dataclass(frozen=True)
class SealCheck:
    """What a verifier needs to know about a receipt's seal."""

    sealed: bool               # a signature is there
    intact: bool               # the signed bytes hash to what was signed
    valid: bool                # the signature over that hash verifies with the certificate's key
    trusted: bool              # the certificate chains to one of our trust roots
    signer: str                # the certificate's common name
    covers_whole_file: bool    # nothing was added after sealing
    reason: str                # 印章有效 / 文件被修改 / 签名证书不受信任 / 文件未加盖电子印章 / 无法读取的PDF

    @property
    def ok(self) -> bool:
        return self.sealed and self.intact and self.valid and self.trusted and self.covers_whole_file


_UNREADABLE = SealCheck(False, False, False, False, "", False, REASON_UNREADABLE)
_UNSEALED = SealCheck(False, False, False, False, "", False, REASON_UNSEALED)
_MANGLED = SealCheck(True, False, False, False, "", False, REASON_MODIFIED)  # signature itself unparsable


class Sealer:
    """Seals receipts with one certificate and checks seals against its trust roots."""

    def __init__(self, signer: SimpleSigner, roots: list[asn1_x509.Certificate], *, is_test: bool,
                 court_name: str | None = None, tsa_url: str = "", seal_image: Image.Image | None = None) -> None:
        self.signer = signer if isinstance(signer, CachedKeySigner) else CachedKeySigner.wrap(signer)
        self._roots = roots
        self.is_test = is_test
        self.location = court_name or _organisation(signer.signing_cert) or DEFAULT_ISSUER
        self.tsa_url = tsa_url
        self.seal_image = seal_image
        self._bytes_reserved = None if tsa_url else _reserve_for(self.signer)

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: Settings, *, court_name: str | None = None) -> Sealer:
        """The court's PKCS#12 seal when SONGDA_SEAL_PKCS12_PATH is set; else, outside production,
        the dev test seal under data_dir/dev-seal (created on first use)."""
        image = load_seal_image(settings.seal_image_path) if settings.seal_image_path else None
        if settings.seal_pkcs12_path is not None:
            signer, roots = _load_pkcs12(settings.seal_pkcs12_path,
                                         settings.seal_pkcs12_password.get_secret_value())
            return cls(signer, roots, is_test=False, court_name=court_name, tsa_url=settings.tsa_url,
                       seal_image=image)
        if settings.mode is Mode.PRODUCTION:
            raise ConfigurationError(
                "SONGDA_SEAL_PKCS12_PATH 未设置：生产环境须使用法院的电子印章证书（PKCS#12），不能使用测试证书")
        signer, roots = _dev_seal(settings.data_dir / DEV_DIR, court_name)
        log.warning("receipts are sealed with a self-signed TEST certificate (dev mode); "
                    "set SONGDA_SEAL_PKCS12_PATH for real seals")
        return cls(signer, roots, is_test=True, court_name=court_name, tsa_url=settings.tsa_url, seal_image=image)

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        """The certificates a seal must chain to: the dev root, or the PKCS#12's chain."""
        return list(self._roots)

    # -- signing other artefacts (audit checkpoints) ----------------------------------------

    def sign_bytes(self, data: bytes) -> bytes:
        """A detached signature with the seal key, e.g. over an audit-chain checkpoint."""
        return self.signer.sign_raw(data, "sha256")

    def verify_bytes(self, data: bytes, signature: bytes) -> bool:
        public_key = serialization.load_der_public_key(self.signer.signing_cert.public_key.dump())
        try:
            if isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, data, PKCS1v15(), hashes.SHA256())
            else:
                public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    # -- sealing ---------------------------------------------------------------------------

    def _metadata(self, location: str | None) -> PdfSignatureMetadata:
        return PdfSignatureMetadata(
            field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
            certify=True, docmdp_permissions=MDPPerm.NO_CHANGES, reason=SEAL_REASON,
            location=location or self.location,
        )

    def _timestamper(self) -> HTTPTimeStamper | None:
        # RFC 3161: a trusted third party's time, which the signer's own clock is not.
        return HTTPTimeStamper(self.tsa_url) if self.tsa_url else None

    def appearance_image(self, court_name: str) -> Image.Image:
        """What the seal looks like on the page: the court's image, else a stand-in (dev: marked
        测试; a real certificate without an image: a framed 电子签章 text)."""
        if self.seal_image is not None:
            return self.seal_image
        return stand_in_seal(court_name) if self.is_test else plain_mark(court_name)

    def seal(self, pdf: bytes, *, location: str | None = None, visible: SealPlacement | None = None) -> bytes:
        """The PDF with the court seal added as an incremental update (PAdES-B, or -T with a TSA);
        with ``visible``, the signature's field shows the seal's appearance there."""
        try:
            if visible is None:
                out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
                                       self._metadata(location), **self._sign_args())
            else:
                out = self._visible_signer(location, visible).sign_pdf(
                    IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), bytes_reserved=self._bytes_reserved)
        except Exception as exc:  # pyHanko, PDF parsing and TSA errors alike
            raise SealingFailed(f"无法加盖电子印章：{type(exc).__name__}") from exc
        return out.getvalue()

    async def seal_async(self, pdf: bytes, *, location: str | None = None) -> bytes:
        try:
            out = await signers.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
                                               self._metadata(location), **self._sign_args())
        except Exception as exc:
            raise SealingFailed(f"无法加盖电子印章：{type(exc).__name__}") from exc
        return out.getvalue()

    def _visible_signer(self, location: str | None, visible: SealPlacement) -> signers.PdfSigner:
        style = StaticStampStyle(border_width=0, background=PdfImage(self.appearance_image(visible.court_name)),
                                 background_opacity=1.0)
        spec = SigFieldSpec(FIELD_NAME, on_page=visible.page, box=visible.box)
        return signers.PdfSigner(self._metadata(location), self.signer, timestamper=self._timestamper(),
                                 stamp_style=style, new_field_spec=spec)

    def _sign_args(self) -> dict:
        return {"signer": self.signer, "timestamper": self._timestamper(), "bytes_reserved": self._bytes_reserved}

    # -- checking --------------------------------------------------------------------------

    def check(self, pdf: bytes) -> SealCheck:
        """Is this our seal, intact, trusted and covering the whole file? Never raises."""
        found = self._find_seal(pdf)
        if isinstance(found, SealCheck):
            return found
        try:
            return _judge(validate_pdf_signature(found, ValidationContext(trust_roots=self._roots)))
        except Exception:  # noqa: BLE001 — a mangled signature is an answer, not an error
            log.info("seal validation failed", exc_info=True)
            return _MANGLED

    async def check_async(self, pdf: bytes) -> SealCheck:
        found = self._find_seal(pdf)
        if isinstance(found, SealCheck):
            return found
        try:
            return _judge(await async_validate_pdf_signature(
                found, ValidationContext(trust_roots=self._roots)))
        except Exception:  # noqa: BLE001
            log.info("seal validation failed", exc_info=True)
            return _MANGLED

    @staticmethod
    def _find_seal(pdf: bytes):
        """The court seal's embedded signature (or the first one), or a SealCheck saying why not."""
        try:
            if b"%PDF-" not in pdf[:1024]:  # readers accept a little junk before the header, no more
                return _UNREADABLE
            signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        except Exception:  # noqa: BLE001 — anything that does not parse is "unreadable"
            return _UNREADABLE
        if not signatures:
            return _UNSEALED
        return next((s for s in signatures if s.field_name == FIELD_NAME), signatures[0])


def _reserve_for(signer: SimpleSigner) -> int:
    """Room for the CMS blob, in hex digits. Fixed up front, because pyHanko's default estimate
    is a dry-run signature on every seal. The blob holds the certificates, one signature of the
    key's size and ~1 KB of signed attributes; a timestamp token varies, so with a TSA pyHanko
    still estimates."""
    certs = sum(len(c.dump()) for c in {c.dump(): c for c in [signer.signing_cert, *signer.cert_registry]}.values())
    key_bytes = signer.signing_cert.public_key.bit_size // 8 + 16
    return 2 * (certs + key_bytes + 4096)


def _judge(status: PdfSignatureStatus) -> SealCheck:
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.docmdp_ok is not False
    if not (status.intact and status.valid and covers):
        reason = REASON_MODIFIED
    elif not status.trusted:
        reason = REASON_UNTRUSTED
    else:
        reason = REASON_VALID
    return SealCheck(True, status.intact, status.valid, status.trusted,
                     _common_name(status.signing_cert), covers, reason)


def _common_name(cert: asn1_x509.Certificate) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def _organisation(cert: asn1_x509.Certificate) -> str | None:
    return cert.subject.native.get("organization_name")


# -- production: the court's PKCS#12 ------------------------------------------------------------

def _load_pkcs12(path: Path, password: str) -> tuple[SimpleSigner, list[asn1_x509.Certificate]]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"SONGDA_SEAL_PKCS12_PATH={path} 无法读取电子印章证书文件：{exc.strerror or exc}") from exc
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password.encode() or None)
    except ValueError as exc:
        raise ConfigurationError(
            "无法打开电子印章证书：SONGDA_SEAL_PKCS12_PASSWORD 密码错误，"
            f"或 SONGDA_SEAL_PKCS12_PATH={path} 不是有效的 PKCS#12 文件") from exc
    cert = signer.signing_cert
    if cert["tbs_certificate"]["validity"]["not_after"].native < datetime.now(UTC):
        raise ConfigurationError(
            f"SONGDA_SEAL_PKCS12_PATH={path} 中的电子印章证书已于 "
            f"{cert['tbs_certificate']['validity']['not_after'].native:%Y-%m-%d} 过期")
    chain = [c for c in signer.cert_registry if c.dump() != cert.dump()]
    # A PKCS#12 without its CA chain is trusted on its own certificate (self-signed seals).
    return signer, chain or [cert]


# -- dev: a self-signed test CA, generated once per data_dir ---------------------------------

def _dev_seal(directory: Path, court_name: str | None) -> tuple[SimpleSigner, list[asn1_x509.Certificate]]:
    bundle = directory / DEV_BUNDLE
    if not bundle.exists():
        _create_dev_bundle(bundle, court_name)
    key, seal_cert, root_cert = _read_dev_bundle(bundle)
    _export_root(directory / DEV_ROOT_EXPORT, root_cert)
    root = _to_asn1(root_cert)
    signer = CachedKeySigner(
        signing_cert=_to_asn1(seal_cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([root]),
    )
    signer._pyca_key = key  # already parsed (and checked) once: spare the second check
    return signer, [root]


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _create_dev_bundle(bundle: Path, court_name: str | None) -> None:
    now = datetime.now(UTC) - timedelta(days=1)  # tolerate clocks a little behind
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, DEV_ROOT_NAME),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "songda 开发测试"),
    ])
    root_cert = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = court_name or DEFAULT_ISSUER
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, f"{issuer} 测试电子印章"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer),
        ]))
        .issuer_name(root_name).public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                       critical=False)
        .sign(root_key, hashes.SHA256())
    )
    # The root's key is not kept: nothing else is ever issued under the test root.
    pem = seal_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    pem += seal_cert.public_bytes(serialization.Encoding.PEM)
    pem += root_cert.public_bytes(serialization.Encoding.PEM)
    _publish_once(bundle, pem)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=not cert_sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _publish_once(path: Path, content: bytes) -> None:
    """Write ``path`` whole or not at all, and never replace one another process published first:
    the temp file is hard-linked into place, which fails if the name exists; the loser then reads
    the winner's file, so every process seals with the same test CA."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: atomic replace, last writer wins
            if not path.exists():
                os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _read_dev_bundle(bundle: Path):
    data = bundle.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
        seal_cert, root_cert = x509.load_pem_x509_certificates(data)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"开发用测试印章文件 {bundle} 已损坏：删除 {bundle.parent} 目录后会重新生成") from exc
    return key, seal_cert, root_cert


def _export_root(path: Path, root_cert: x509.Certificate) -> None:
    pem = root_cert.public_bytes(serialization.Encoding.PEM)
    if not path.exists() or path.read_bytes() != pem:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.chmod(temp, 0o644)
        os.replace(temp, path)  # same content from every writer: a race is harmless

