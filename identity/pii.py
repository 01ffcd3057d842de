"""Personal information at rest (个人信息保护法 art. 51: encryption and de-identification).

``PiiCipher`` encrypts phone and ID-number columns with AES-256-GCM and computes a keyed
blind index so rows can still be found by equality. ``PiiMaskingFilter`` keeps numbers out
of log lines that slipped past the "log ids, not values" rule.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from identity.id_numbers import IdType, mask_id_number

__all__ = [
    "PiiCipher",
    "PiiConfigError",
    "PiiDecryptError",
    "PiiMaskingFilter",
    "mask_pii",
]

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far beyond our volume
TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # no ":" — it separates key id from payload
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
# HKDF info labels: one secret, independent keys for encryption and for the blind index.
_HKDF_INFO_AES = b"songda/pii/aes-256-gcm/k1"
_HKDF_INFO_INDEX = b"songda/pii/blind-index"
_SECRET_KEY_ID = "k1"


class PiiConfigError(ValueError):
    """Keys are missing or malformed; the message names the setting to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PiiDecryptError(ValueError):
    """A stored token cannot be decrypted: unknown key id, corruption or tampering."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    # urlsafe_b64decode silently drops foreign characters; refuse them instead.
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PiiCipher:
    """AES-256-GCM for PII columns, with key rotation and a blind index.

    Tokens look like ``k2:<base64url(nonce ‖ ciphertext ‖ tag)>``. New writes use the
    active key; any key still in ``keys`` decrypts what it wrote, so keys can rotate
    without a big-bang re-encryption.
    """

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str, index_key: bytes) -> None:
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise PiiConfigError(f"个人信息密钥编号 {key_id!r} 无效：只能使用1至32位字母、数字、_ 或 -")
            if len(key) != KEY_BYTES:
                raise PiiConfigError(f"个人信息密钥 {key_id} 应为{KEY_BYTES}字节，实际为{len(key)}字节")
        if active_key_id not in keys:
            raise PiiConfigError(f"当前个人信息密钥 {active_key_id!r} 不在已配置的密钥中")
        if len(index_key) < KEY_BYTES:
            raise PiiConfigError(f"盲索引密钥应至少为{KEY_BYTES}字节，实际为{len(index_key)}字节")
        self._aeads = {key_id: AESGCM(bytes(key)) for key_id, key in keys.items()}
        self._active_key_id = active_key_id
        self._index_key = bytes(index_key)

    def __repr__(self) -> str:
        # Never show key material, even in a debugger or a crash report.
        return f"PiiCipher(key_ids={sorted(self._aeads)!r}, active_key_id={self._active_key_id!r})"

    @property
    def active_key_id(self) -> str:
        return self._active_key_id

    @classmethod
    def from_secret(cls, secret_key: str) -> PiiCipher:
        """Dev mode: derive key ``k1`` and the index key from ``SONGDA_SECRET_KEY``."""
        if not secret_key:
            raise PiiConfigError("SONGDA_SECRET_KEY 为空：无法派生个人信息加密密钥")
        secret = secret_key.encode("utf-8")
        aes_key = _hkdf(secret, _HKDF_INFO_AES)
        index_key = _hkdf(secret, _HKDF_INFO_INDEX)
        return cls({_SECRET_KEY_ID: aes_key}, _SECRET_KEY_ID, index_key)

    @classmethod
    def from_config(
        cls, keys_b64: Mapping[str, str], active_key_id: str, index_key_b64: str
    ) -> PiiCipher:
        """Production: base64 keys from ``SONGDA_PII_KEYS`` / ``_ACTIVE_KEY_ID`` / ``_INDEX_KEY``."""
        if not keys_b64:
            raise PiiConfigError("SONGDA_PII_KEYS 未设置：需要至少一个个人信息加密密钥")
        if active_key_id not in keys_b64:
            raise PiiConfigError(
                f"SONGDA_PII_ACTIVE_KEY_ID={active_key_id!r} 不在 SONGDA_PII_KEYS 中"
            )
        keys = {
            key_id: _decode_config_key(value, f"SONGDA_PII_KEYS 中的密钥 {key_id}")
            for key_id, value in keys_b64.items()
        }
        index_key = _decode_config_key(index_key_b64, "SONGDA_PII_INDEX_KEY")
        return cls(keys, active_key_id, index_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt under the active key; ``context`` (e.g. "phone") is bound as associated data."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self._active_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return f"{self._active_key_id}:{_b64url_encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Inverse of ``encrypt``; fails if the token was written for another ``context``."""
        key_id, sep, payload = token.partition(":")
        if not sep:
            raise PiiDecryptError("个人信息密文格式错误")
        aead = self._aeads.get(key_id)
        if aead is None:
            raise PiiDecryptError(f"个人信息密文使用了未知的密钥编号 {key_id!r}")
        try:
            blob = _b64url_decode(payload)
        except (ValueError, binascii.Error) as exc:
            raise PiiDecryptError("个人信息密文格式错误") from exc
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise PiiDecryptError("个人信息密文格式错误")
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise PiiDecryptError("个人信息密文校验失败：数据被篡改或类型不符") from exc
        return plain.decode("utf-8")

    def seal(self, data: bytes, *, context: str) -> bytes:
        """``encrypt`` for files (a call recording): ``key id ‖ ":" ‖ nonce ‖ ciphertext ‖ tag``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self._active_key_id].encrypt(nonce, data, context.encode("utf-8"))
        return self._active_key_id.encode("ascii") + b":" + nonce + sealed

    def open(self, blob: bytes, *, context: str) -> bytes:
        """Inverse of ``seal``; fails if the blob was altered or sealed for another ``context``."""
        key_id, sep, rest = blob[:40].partition(b":")
        aead = self._aeads.get(key_id.decode("ascii", "replace")) if sep else None
        if aead is None:
            raise PiiDecryptError("加密文件格式错误或密钥编号未知")
        rest = blob[len(key_id) + 1:]
        if len(rest) < NONCE_BYTES + TAG_BYTES:
            raise PiiDecryptError("加密文件格式错误")
        try:
            return aead.decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise PiiDecryptError("加密文件校验失败：数据被篡改或类型不符") from exc

    def blind_index(self, value: str, *, context: str) -> str:
        """Deterministic keyed hash for equality lookup; normalise ``value`` before calling."""
        # The NUL separator keeps ("ab", "c") and ("a", "bc") apart; contexts never contain it.
        message = f"{context}\x00{value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def _decode_config_key(value: str, setting: str) -> bytes:
    # Accept both standard and URL-safe base64 since operators paste from either tool.
    text = value.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise PiiConfigError(f"{setting} 不是有效的 base64") from exc
    if len(key) != KEY_BYTES:
        raise PiiConfigError(f"{setting} 解码后应为{KEY_BYTES}字节，实际为{len(key)}字节")
    return key


# --- log masking ------------------------------------------------------------------------

# 18-character resident ID (17 digits + digit/X), not inside a longer digit run.
_RESIDENT_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Mobile numbers, optionally written with +86/0086/86 and spaces or dashes (138 1234 5678);
# the prefix is kept so the masked line still reads naturally.
_MOBILE_IN_TEXT = re.compile(
    r"(?<!\d)(?P<prefix>(?:\+|00)?86[- ]?)?(?P<head>1[3-9]\d)[- ]?\d{4}[- ]?(?P<tail>\d{4})(?!\d)"
)


def mask_pii(text: str) -> str:
    """Mask every resident ID and mainland mobile number found in free text."""
    text = _RESIDENT_ID_IN_TEXT.sub(
        lambda m: mask_id_number(IdType.RESIDENT_ID, m.group().upper()), text
    )
    return _MOBILE_IN_TEXT.sub(
        lambda m: f"{m.group('prefix') or ''}{m.group('head')}****{m.group('tail')}",
        text,
    )


class PiiMaskingFilter(logging.Filter):
    """Rewrite each record so phone numbers and resident IDs never reach a log sink.

    Attach it to handlers, not loggers: a logger's filters do not see records propagated
    from its children. Formatters that read ``exc_info`` themselves (some JSON formatters)
    bypass the masked ``exc_text``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_pii(_formatted_message(record))
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Pre-render the traceback so exception messages are masked too; the standard
            # Formatter reuses exc_text instead of formatting exc_info again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


def _formatted_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 — a filter must not crash the caller's log statement
        # Bad format arguments: keep everything, masked, rather than lose the line.
        return f"{record.msg!s} {record.args!r}"
