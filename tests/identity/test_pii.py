import base64
import logging

import pytest

from identity.pii import (
    PiiCipher,
    PiiConfigError,
    PiiDecryptError,
    PiiMaskingFilter,
    mask_pii,
)

K1 = bytes(range(32))
K2 = bytes(range(32, 64))
INDEX_KEY = b"i" * 32


def make_cipher(keys=None, active="k1", index_key=INDEX_KEY) -> PiiCipher:
    return PiiCipher(keys or {"k1": K1}, active, index_key)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- encryption -------------------------------------------------------------------------

def test_round_trip():
    cipher = make_cipher()
    token = cipher.encrypt("13812345678", context="phone")
    assert token.startswith("k1:")
    assert token.isascii() and "13812345678" not in token
    assert cipher.decrypt(token, context="phone") == "13812345678"


def test_round_trip_non_ascii_and_empty():
    cipher = make_cipher()
    for text in ["张三 广东省深圳市南山区", ""]:
        assert cipher.decrypt(cipher.encrypt(text, context="address"), context="address") == text


def test_encryption_is_randomised():
    cipher = make_cipher()
    assert cipher.encrypt("x", context="phone") != cipher.encrypt("x", context="phone")


def test_rotation_old_tokens_still_decrypt_new_writes_use_active_key():
    old_token = make_cipher().encrypt("11010519491231002X", context="id_number")
    rotated = make_cipher({"k1": K1, "k2": K2}, active="k2")
    assert rotated.decrypt(old_token, context="id_number") == "11010519491231002X"
    new_token = rotated.encrypt("11010519491231002X", context="id_number")
    assert new_token.startswith("k2:")
    assert rotated.decrypt(new_token, context="id_number") == "11010519491231002X"


def test_unknown_key_id():
    token = make_cipher({"k2": K2}, active="k2").encrypt("x", context="phone")
    with pytest.raises(PiiDecryptError):
        make_cipher().decrypt(token, context="phone")


def test_same_key_id_with_different_key_fails():
    token = make_cipher({"k1": K2}).encrypt("x", context="phone")
    with pytest.raises(PiiDecryptError):
        make_cipher().decrypt(token, context="phone")


def test_tampered_token():
    cipher = make_cipher()
    token = cipher.encrypt("13812345678", context="phone")
    key_id, payload = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[15] ^= 0x01
    tampered = key_id + ":" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(tampered, context="phone")


@pytest.mark.parametrize("token", ["", "no-separator", "k1:", "k1:short", "k1:not*base64!"])
def test_malformed_tokens(token):
    with pytest.raises(PiiDecryptError):
        make_cipher().decrypt(token, context="phone")


def test_context_swap_fails():
    cipher = make_cipher()
    phone_token = cipher.encrypt("13812345678", context="phone")
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(phone_token, context="id_number")


def test_sealed_files_round_trip_rotate_and_refuse_tampering():
    data = bytes(range(256)) * 40
    blob = make_cipher().seal(data, context="evidence")
    assert blob.startswith(b"k1:") and data not in blob and blob != make_cipher().seal(data, context="evidence")
    rotated = make_cipher({"k1": K1, "k2": K2}, active="k2")
    assert rotated.open(blob, context="evidence") == data
    assert rotated.seal(data, context="evidence").startswith(b"k2:")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    for bad, context in ((flipped, "evidence"), (blob, "phone"), (b"k9:" + blob[3:], "evidence"), (b"k1:", "evidence"),
                         (b"no separator", "evidence")):
        with pytest.raises(PiiDecryptError):
            rotated.open(bad, context=context)


def test_repr_hides_keys():
    text = repr(make_cipher())
    assert "k1" in text and K1.hex() not in text and repr(K1) not in text


# --- blind index ------------------------------------------------------------------------

def test_blind_index_is_deterministic_and_context_separated():
    cipher = make_cipher()
    first = cipher.blind_index("13812345678", context="phone")
    assert first == cipher.blind_index("13812345678", context="phone")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != cipher.blind_index("13812345678", context="id_number")
    assert first != cipher.blind_index("13812345679", context="phone")


def test_blind_index_depends_on_index_key_only():
    same_index = make_cipher({"k2": K2}, active="k2")
    other_index = make_cipher(index_key=b"j" * 32)
    value = make_cipher().blind_index("v", context="phone")
    assert same_index.blind_index("v", context="phone") == value
    assert other_index.blind_index("v", context="phone") != value


# --- construction -----------------------------------------------------------------------

def test_from_secret_is_stable_and_separates_keys():
    a = PiiCipher.from_secret("a-long-secret-key")
    b = PiiCipher.from_secret("a-long-secret-key")
    assert a.active_key_id == "k1"
    assert b.decrypt(a.encrypt("x", context="phone"), context="phone") == "x"
    assert a.blind_index("x", context="phone") == b.blind_index("x", context="phone")
    other = PiiCipher.from_secret("another-secret")
    assert other.blind_index("x", context="phone") != a.blind_index("x", context="phone")
    with pytest.raises(PiiDecryptError):
        other.decrypt(a.encrypt("x", context="phone"), context="phone")


def test_from_secret_rejects_empty():
    with pytest.raises(PiiConfigError):
        PiiCipher.from_secret("")


def test_from_config_round_trip():
    cipher = PiiCipher.from_config({"k1": b64(K1), "k2": b64(K2)}, "k2", b64(INDEX_KEY))
    assert cipher.active_key_id == "k2"
    old = make_cipher().encrypt("x", context="phone")
    assert cipher.decrypt(old, context="phone") == "x"
    assert cipher.blind_index("x", context="phone") == make_cipher().blind_index("x", context="phone")


def test_from_config_accepts_url_safe_base64():
    key = b"\xfb\xff" * 16  # encodes with "+" and "/" in standard base64
    url_safe = base64.urlsafe_b64encode(key).decode().rstrip("=")
    cipher = PiiCipher.from_config({"k1": url_safe}, "k1", b64(INDEX_KEY))
    token = PiiCipher({"k1": key}, "k1", INDEX_KEY).encrypt("x", context="c")
    assert cipher.decrypt(token, context="c") == "x"


@pytest.mark.parametrize("keys, active, index_key, setting", [
    ({}, "k1", b64(INDEX_KEY), "SONGDA_PII_KEYS"),
    ({"k1": b64(K1)}, "k2", b64(INDEX_KEY), "SONGDA_PII_ACTIVE_KEY_ID"),
    ({"k1": b64(K1[:16])}, "k1", b64(INDEX_KEY), "SONGDA_PII_KEYS 中的密钥 k1"),
    ({"k1": "not base64!"}, "k1", b64(INDEX_KEY), "SONGDA_PII_KEYS 中的密钥 k1"),
    ({"k1": b64(K1)}, "k1", "", "SONGDA_PII_INDEX_KEY"),
    ({"k1": b64(K1)}, "k1", b64(b"short"), "SONGDA_PII_INDEX_KEY"),
])
def test_from_config_errors_name_the_setting(keys, active, index_key, setting):
    with pytest.raises(PiiConfigError) as caught:
        PiiCipher.from_config(keys, active, index_key)
    assert setting in caught.value.message


@pytest.mark.parametrize("keys, active, index_key", [
    ({"k1": K1[:16]}, "k1", INDEX_KEY),
    ({"k:1": K1}, "k:1", INDEX_KEY),
    ({"k1": K1}, "k2", INDEX_KEY),
    ({"k1": K1}, "k1", b"short"),
])
def test_constructor_validates(keys, active, index_key):
    with pytest.raises(PiiConfigError):
        PiiCipher(keys, active, index_key)


# --- log masking ------------------------------------------------------------------------

@pytest.mark.parametrize("text, masked", [
    ("phone 13812341234 ok", "phone 138****1234 ok"),
    ("to:+8613812341234", "to:+86138****1234"),
    ("call 138-1234-1234", "call 138****1234"),
    ("id 11010519491231002X.", "id 110105********002X."),
    ("id 11010519491231002x", "id 110105********002X"),
    ("order 123456789012345678901 stays", "order 123456789012345678901 stays"),
    ("serial 213812341234 stays", "serial 213812341234 stays"),
    ("12812341234 is not a mobile", "12812341234 is not a mobile"),
])
def test_mask_pii(text, masked):
    assert mask_pii(text) == masked


def make_logger(name: str) -> tuple[logging.Logger, list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = ListHandler()
    handler.addFilter(PiiMaskingFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, records


def test_filter_masks_formatted_args():
    logger, records = make_logger("tests.identity.pii.args")
    logger.info("sent to %s for %s (%d%%)", "13812341234", "11010519491231002X", 100)
    [record] = records
    assert record.getMessage() == "sent to 138****1234 for 110105********002X (100%)"
    assert record.args == ()


def test_filter_masks_literal_message_and_exception():
    logger, records = make_logger("tests.identity.pii.exc")
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        logger.exception("lookup 13812341234 failed")
    [record] = records
    formatted = logging.Formatter().format(record)
    assert "13812341234" not in formatted and "11010519491231002X" not in formatted
    assert "138****1234" in formatted and "110105********002X" in formatted


def test_filter_survives_bad_format_arguments():
    logger, records = make_logger("tests.identity.pii.bad")
    logger.info("two %s %s", "13812341234")
    [record] = records
    assert "13812341234" not in record.getMessage()
    assert "138****1234" in record.getMessage()


def test_filter_with_caplog(caplog):
    caplog.handler.addFilter(PiiMaskingFilter())
    logging.getLogger("tests.identity.pii.caplog").warning("phone %s", "19912345678")
    assert caplog.records[0].getMessage() == "phone 199****5678"
    assert "19912345678" not in caplog.text
