"""统一社会信用代码 check character (GB 32100-2015)."""
import pytest

from domain import creditcode
from domain.demo import SUBJECTS, credit_code

# Published codes of well-known companies (the format is public information).
REAL_CODES = [
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert creditcode.is_valid(code)
    assert creditcode.check_character(code[:17]) == code[17]


def test_weights_are_powers_of_three_mod_31():
    assert creditcode.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_lower_case_and_spaces_are_normalised():
    assert creditcode.is_valid(" 9144030071526726xg ")
    assert creditcode.is_valid("91440300 708461136T")
    assert creditcode.normalize(" 9144030071526726xg") == "9144030071526726XG"


@pytest.mark.parametrize("code", [
    "91440300708461136A",   # wrong check character
    "91440300708461137T",   # one digit changed
    "19440300708461136T",   # two characters swapped
    "9144030070846113T",    # 17 characters
    "91440300708461136TX",  # 19 characters
    "9144030070846113OT",   # O is not in the alphabet
    "9144030070846113IT",   # nor is I
    "B1440300708461136T",   # B is not a registration authority
    "914403A0708461136T",   # administrative division must be digits
    "",
    None,
    914403007084611360,
])
def test_invalid_codes_are_rejected(code):
    assert not creditcode.is_valid(code)


def test_every_single_character_error_is_caught():
    code = REAL_CODES[0]
    for position in range(18):
        for char in creditcode.ALPHABET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1:]
            if position >= 2 and creditcode._SHAPE.fullmatch(changed) is None:
                continue
            assert not creditcode.is_valid(changed), changed


def test_demo_codes_are_valid():
    for _name, first17, *_rest in SUBJECTS:
        assert creditcode.is_valid(credit_code(first17))
