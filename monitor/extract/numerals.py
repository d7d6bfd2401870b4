"""Small Chinese numerals, shared by the byline parser and the deadline grammar."""

from __future__ import annotations

DIGITS = dict(zip("〇○◯零ＯO一二两三四五六七八九", (0, 0, 0, 0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def numeral_value(numeral: str) -> int:
    """``2025`` / ``二〇二五`` (digit by digit) / ``十二`` / ``三十一`` / ``两`` → int."""
    if numeral.isascii() and numeral.isdigit():
        return int(numeral)
    if "十" in numeral:
        tens, _, ones = numeral.partition("十")
        return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[ones] if ones else 0)
    return int("".join(str(DIGITS[char]) for char in numeral))
