"""SNILS (СНИЛС): parse, validate, format and mask.

Eleven digits shown as ``NNN-NNN-NNN CC``. The control number ``CC`` is
S = 9·d1 + 8·d2 + … + 1·d9 reduced mod 101 (100 becomes 0). Numbers whose first
nine digits are at most ``001-001-998`` predate the rule and are not checked;
the all-zero number is refused all the same (it is a placeholder, never issued).

``Snils`` never shows the full number in ``repr``: logs and tracebacks get the
masked form ``***-***-445 95``; ``formatted`` and ``digits`` are for the places
that need the number (the registry lookup, the person's own page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LENGTH = 11
LAST_UNCHECKED = 1_001_998  # first nine digits at most this: issued before the checksum rule
_ACCEPTED = re.compile(r"^[0-9]{3}-?[0-9]{3}-?[0-9]{3}[ -]?[0-9]{2}$")  # ASCII digits only


class InvalidSnils(ValueError):
    """Not eleven digits in an accepted layout, or a wrong control number."""


def control_number(first_nine: str) -> int:
    """The two-digit control number of ``first_nine`` (nine digits)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise InvalidSnils("the control number is computed over exactly nine digits")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(9, 0, -1), strict=True))
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def is_checked(first_nine: str) -> bool:
    return int(first_nine) > LAST_UNCHECKED


@dataclass(frozen=True, slots=True)
class Snils:
    digits: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.digits) != LENGTH or not (self.digits.isascii() and self.digits.isdigit()):
            raise InvalidSnils("a SNILS is eleven digits")
        if int(self.digits) == 0:
            raise InvalidSnils("the all-zero SNILS is a placeholder")
        body, control = self.digits[:9], int(self.digits[9:])
        if is_checked(body) and control_number(body) != control:
            raise InvalidSnils("the SNILS control number does not match")

    @classmethod
    def parse(cls, text: str) -> Snils:
        """``112-233-445 95``, ``112-233-445-95``, ``11223344595``; surrounding spaces ignored."""
        value = text.strip() if isinstance(text, str) else ""
        if not _ACCEPTED.match(value):
            raise InvalidSnils("a SNILS is eleven digits, optionally written as NNN-NNN-NNN CC")
        return cls(value.replace("-", "").replace(" ", ""))

    @property
    def formatted(self) -> str:
        d = self.digits
        return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}"

    def mask(self) -> str:
        return f"***-***-{self.digits[6:9]} {self.digits[9:11]}"

    def __repr__(self) -> str:
        return f"Snils({self.mask()!r})"

    def __str__(self) -> str:
        return self.mask()


def parse_snils(text: str) -> Snils:
    return Snils.parse(text)


def is_valid_snils(text: str) -> bool:
    try:
        Snils.parse(text)
    except InvalidSnils:
        return False
    return True


def format_snils(text: str) -> str:
    return Snils.parse(text).formatted


def mask_snils(text: str) -> str:
    return Snils.parse(text).mask()
