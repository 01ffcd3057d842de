import pytest

from identity.phones import InvalidPhone, mask_phone, normalize_mobile


@pytest.mark.parametrize("raw", [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "+8613812345678",
    "+86 138 1234 5678",
    "8613812345678",
    "008613812345678",
    "１３８１２３４５６７８",
    "＋８６ １３８－１２３４－５６７８",
])
def test_accepted_forms(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("first_two", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_block(first_two):
    assert normalize_mobile(first_two + "912345678") == first_two + "912345678"


@pytest.mark.parametrize("raw", [
    "",
    "12812345678",      # 12x is not a mobile block
    "23812345678",
    "1381234567",       # 10 digits
    "138123456789",     # 12 digits
    "+85212345678",     # Hong Kong
    "+8612812345678",
    "010-12345678",     # landline
    "1381234567a",
    "８６８６13812345678",
])
def test_rejected(raw):
    with pytest.raises(InvalidPhone) as caught:
        normalize_mobile(raw)
    assert caught.value.message == "不是有效的中国大陆手机号码"


def test_invalid_phone_is_a_value_error():
    assert issubclass(InvalidPhone, ValueError)


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
