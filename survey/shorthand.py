"""Numbers written the way the survey writes them: "7B", "1.4T", "52K", "6.7 b".

Cards accept the shorthand and store exact integers; `canonical` writes the
shortest exact shorthand back, so `fmt` can make every card spell a number the
same way.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

SUFFIXES = {"K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}
# "G" is accepted as an alias of "B" (the survey writes "20G"), but never written.
_WRITE_ORDER = (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3))
_PATTERN = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")


class ShorthandError(ValueError):
    pass


def parse_count(text: str | int | float) -> int:
    """Turn "7B" / "52K" / 1400000000000 / "1_000" into an exact integer."""
    if isinstance(text, bool):
        raise ShorthandError("expected a count such as 7B, 52K or 1400")
    if isinstance(text, int):
        return text
    if isinstance(text, float):
        if not math.isfinite(text):
            raise ShorthandError("expected a finite number")
        if not text.is_integer():
            raise ShorthandError("expected a whole number (write 6.7B, not 6.7)")
        # 6.3e23 is 630000000000000000000000, not the float's 629999999999999958388736.
        return int(Decimal(repr(text)))
    match = _PATTERN.match(str(text))
    if not match:
        raise ShorthandError("expected a count such as 7B, 52K or 1400")
    digits, suffix = match.groups()
    try:
        number = Decimal(digits.replace("_", "").replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise ShorthandError("expected a count such as 7B, 52K or 1400") from exc
    value = number * SUFFIXES.get(suffix.upper(), 1)
    if value != value.to_integral_value():
        raise ShorthandError(f"expected a whole number, {text!s} is {value}")
    return int(value)


def parse_number(text: str | int | float) -> int | float:
    """Like `parse_count`, but plain decimals such as 1.5 stay floats."""
    if isinstance(text, float) and math.isfinite(text) and not text.is_integer():
        return text
    if isinstance(text, str):
        try:
            return parse_count(text)
        except ShorthandError:
            try:
                number = float(text)
            except ValueError:
                raise ShorthandError("expected a number such as 3, 1.5 or 52K") from None
            if not math.isfinite(number):  # float() reads "nan", "inf", "Infinity", "1e999"
                raise ShorthandError("expected a finite number such as 3, 1.5 or 52K")
            return number if not number.is_integer() else parse_count(number)
    return parse_count(text)


def canonical(value: int, *, billion: str = "B") -> str | int | float:
    """The shortest exact spelling: 7000000000 -> "7B", 52002 -> 52002, 3.14e23 FLOPs -> 3.14e+23.

    Byte sizes pass billion="G" so that 20 GB reads "20G", not "20B". Beyond the suffixes, a value a
    float holds exactly in few digits is written as one; any other stays a plain integer.
    """
    for suffix, scale in _WRITE_ORDER:
        suffix = billion if suffix == "B" else suffix
        if abs(value) >= scale:
            scaled = Decimal(value) / scale
            text = format(scaled.normalize(), "f")
            if len(text.replace(".", "").lstrip("-")) <= 4:
                return f"{text}{suffix}"
    if abs(value) >= 10**15 and int(Decimal(repr(float(value)))) == value:
        return float(value)
    return value
