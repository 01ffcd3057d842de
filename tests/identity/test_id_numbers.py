from datetime import date

import pytest

from identity.id_numbers import (
    IdType,
    InvalidIdNumber,
    birth_date,
    mask_id_number,
    normalize_id_number,
    resident_id_check_char,
    uscc_check_char,
)

TODAY = date(2024, 6, 1)
# The example printed in GB 11643-1999 itself.
STANDARD_RESIDENT_ID = "11010519491231002X"


def make_resident_id(area: str = "440305", born: str = "19900307", seq: str = "123") -> str:
    first17 = area + born + seq
    return first17 + resident_id_check_char(first17)


def make_uscc(body: str = "91440300MA5FXXXX") -> str:
    first17 = (body + "0" * 17)[:17]
    return first17 + uscc_check_char(first17)


def resident(raw: str) -> str:
    return normalize_id_number(IdType.RESIDENT_ID, raw, today=TODAY)


def error_of(id_type: IdType, raw: str) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        normalize_id_number(id_type, raw, today=TODAY)
    return caught.value.message


# --- labels ---------------------------------------------------------------------------

def test_every_id_type_has_a_chinese_label():
    assert IdType.RESIDENT_ID.label == "居民身份证"
    assert IdType.USCC.label == "统一社会信用代码"
    assert all(t.label for t in IdType)
    assert IdType("passport") is IdType.PASSPORT


# --- resident ID ----------------------------------------------------------------------

def test_standard_published_example_is_valid():
    assert resident(STANDARD_RESIDENT_ID) == STANDARD_RESIDENT_ID


@pytest.mark.parametrize("area", ["110105", "440305", "650102", "810000", "830000"])
def test_ids_built_with_the_algorithm_are_valid(area):
    value = make_resident_id(area=area)
    assert resident(value) == value


def test_lower_case_x_is_normalised():
    assert resident("11010519491231002x") == STANDARD_RESIDENT_ID


def test_full_width_digits_and_spaces_are_normalised():
    assert resident(" １１０１０５ １９４９１２３１ ００２ｘ ") == STANDARD_RESIDENT_ID


def test_fifteen_digit_legacy_number_is_rejected():
    assert error_of(IdType.RESIDENT_ID, "110105491231002") == "15位旧身份证号码已停用，请提供18位号码"


@pytest.mark.parametrize("raw", ["1101051949123100", "1101051949123100212"])
def test_wrong_length(raw):
    assert error_of(IdType.RESIDENT_ID, raw) == "身份证号码应为18位"


@pytest.mark.parametrize("raw", ["1101051949123100A2", "X1010519491231002X"])
def test_bad_characters(raw):
    assert "只能包含数字" in error_of(IdType.RESIDENT_ID, raw)


@pytest.mark.parametrize("area", ["000000", "100000", "910000", "840000"])
def test_bad_area(area):
    assert error_of(IdType.RESIDENT_ID, make_resident_id(area=area)) == "身份证号码的地区码无效"


@pytest.mark.parametrize("born", ["19900230", "19901301", "18991231", "20240602", "20990101"])
def test_bad_birth_date(born):
    # Feb 30, month 13, before 1900, tomorrow, far future.
    assert error_of(IdType.RESIDENT_ID, make_resident_id(born=born)) == "身份证号码中的出生日期无效"


def test_birth_date_today_is_accepted():
    value = make_resident_id(born="20240601")
    assert resident(value) == value


def test_bad_checksum():
    assert error_of(IdType.RESIDENT_ID, "110105194912310021") == "身份证号码校验位错误"


def test_empty_input():
    assert error_of(IdType.RESIDENT_ID, "   ") == "请填写居民身份证号码"


def test_birth_date_helper():
    assert birth_date(STANDARD_RESIDENT_ID) == date(1949, 12, 31)


def test_messages_are_distinct():
    messages = {
        error_of(IdType.RESIDENT_ID, "110105491231002"),
        error_of(IdType.RESIDENT_ID, "1101051949123100"),
        error_of(IdType.RESIDENT_ID, "1101051949123100A2"),
        error_of(IdType.RESIDENT_ID, make_resident_id(area="000000")),
        error_of(IdType.RESIDENT_ID, make_resident_id(born="19900230")),
        error_of(IdType.RESIDENT_ID, "110105194912310021"),
    }
    assert len(messages) == 6


def test_invalid_id_number_is_a_value_error():
    assert issubclass(InvalidIdNumber, ValueError)


# --- passport / permits ------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("E12345678", "E12345678"),
    ("g1234567 8", "G12345678"),
    ("ｅａ１２３４５６７", "EA1234567"),
    ("AB123", "AB123"),
    ("X" * 17, "X" * 17),
])
def test_valid_passports(raw, expected):
    assert normalize_id_number(IdType.PASSPORT, raw) == expected


@pytest.mark.parametrize("raw", ["E123", "X" * 18, "E1234-5678", "护照12345"])
def test_invalid_passports(raw):
    assert error_of(IdType.PASSPORT, raw) == "护照号码应为5至17位字母或数字"


@pytest.mark.parametrize("raw, expected", [
    ("H12345678", "H12345678"),
    ("m1234567890", "M1234567890"),
    ("Ｈ１２３４５６７８", "H12345678"),
])
def test_valid_hk_macao_permits(raw, expected):
    assert normalize_id_number(IdType.HK_MACAO_PERMIT, raw) == expected


@pytest.mark.parametrize("raw", ["12345678", "H1234567", "H123456789", "A12345678", "H1234567A"])
def test_invalid_hk_macao_permits(raw):
    assert "港澳居民来往内地通行证" in error_of(IdType.HK_MACAO_PERMIT, raw)


@pytest.mark.parametrize("raw, expected", [
    ("12345678", "12345678"),
    ("1234567890", "1234567890"),
    ("a123456789", "A123456789"),
])
def test_valid_taiwan_permits(raw, expected):
    assert normalize_id_number(IdType.TAIWAN_PERMIT, raw) == expected


@pytest.mark.parametrize("raw", ["1234567", "123456789", "A1234567", "12345678901"])
def test_invalid_taiwan_permits(raw):
    assert "台湾居民来往大陆通行证" in error_of(IdType.TAIWAN_PERMIT, raw)


# --- USCC -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # the example quoted in most write-ups of GB 32100-2015
    "9144030071526726XG",  # published registrations (national enterprise credit system)
    "914403001922038216",
    "91110000600037341L",
])
def test_published_uscc_examples_are_valid(code):
    assert uscc_check_char(code[:17]) == code[17]
    assert normalize_id_number(IdType.USCC, code) == code


def test_uscc_built_with_the_algorithm_is_valid_and_lower_case_accepted():
    code = make_uscc("12100000400012345")
    assert normalize_id_number(IdType.USCC, code.lower()) == code


def test_uscc_check_value_31_maps_to_zero():
    # Find a body whose weighted sum is a multiple of 31: check = 31 - 0 → 31 → "0".
    for n in range(1000):
        body = f"91350100M{n:08d}"
        if uscc_check_char(body) == "0":
            assert normalize_id_number(IdType.USCC, body + "0") == body + "0"
            return
    pytest.fail("no body with check character 0 found")


def test_uscc_bad_checksum():
    assert error_of(IdType.USCC, "91350100M000100Y44") == "统一社会信用代码校验位错误"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_rejects_ambiguous_letters(letter):
    assert "无效字符" in error_of(IdType.USCC, "91350100M000100" + letter + "43")


def test_uscc_wrong_length():
    assert error_of(IdType.USCC, "91350100M000100Y4") == "统一社会信用代码应为18位"


# --- masking ----------------------------------------------------------------------------

def test_mask_resident_id():
    assert mask_id_number(IdType.RESIDENT_ID, STANDARD_RESIDENT_ID) == "110105********002X"


@pytest.mark.parametrize("id_type, value, masked", [
    (IdType.PASSPORT, "E12345678", "E1*****78"),
    (IdType.HK_MACAO_PERMIT, "H12345678", "H1*****78"),
    (IdType.TAIWAN_PERMIT, "12345678", "12****78"),
    (IdType.USCC, "91350100M000100Y43", "91" + "*" * 14 + "43"),
])
def test_mask_other_documents(id_type, value, masked):
    assert mask_id_number(id_type, value) == masked
