"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), institution category (1),
administrative division (6 digits), entity identifier (9, the organisation
code), check character (1). Characters come from 0-9 and the capital letters
without I, O, S, V, Z; the check character is
31 - (sum of value(c_i) * 3^i mod 31 over the first 17) mod 31.
"""
import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
# 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管,
# A 中央军委改革和编制办公室, N 农业, Y 其他.
REGISTRATION_AUTHORITIES = "123456789ANY"
_SHAPE = re.compile(rf"[{REGISTRATION_AUTHORITIES}][{ALPHABET}]\d{{6}}[{ALPHABET}]{{10}}")


def normalize(code: str) -> str:
    """Upper case, no surrounding or inner spaces."""
    return "".join(str(code).split()).upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (already normalised)."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str | None) -> bool:
    if not isinstance(code, str):
        return False
    code = normalize(code)
    if len(code) != 18 or not _SHAPE.fullmatch(code):
        return False
    return check_character(code[:17]) == code[17]
