"""Checks of the registry's identifiers: INN, RF passport, OKTMO, phone, e-mail.

Each returns the normalised value or raises ``InvalidValue`` with a message
that never quotes the value (it may be personal data).

- INN (ИНН): 10 digits for an organisation, 12 for a person; control digits are
  ``sum(weight·digit) mod 11 mod 10`` with the weights of the tax service.
- RF passport: series 4 digits, number 6 digits, issuing unit ``NNN-NNN``.
- OKTMO (ОКТМО): 8 or 11 digits.
"""

from __future__ import annotations

import re

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_DIGITS = re.compile(r"^[0-9]+$")
_SERIES = re.compile(r"^[0-9]{2} ?[0-9]{2}$")
_NUMBER = re.compile(r"^[0-9]{6}$")
_ISSUER = re.compile(r"^[0-9]{3}-?[0-9]{3}$")
_PHONE_NOISE = re.compile(r"[ ()\-]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63}$")


class InvalidValue(ValueError):
    """A value that fails its format or control digits; the message names no value."""


def _control(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def _digits(value: object) -> str:
    if not isinstance(value, str) or not value.isascii() or not _DIGITS.match(value):
        raise InvalidValue("must be a string of digits")
    return value


def check_inn(value: object, *, length: int | None = None) -> str:
    """A 10-digit (organisation) or 12-digit (person) INN with matching control digits."""
    inn = _digits(value)
    lengths = (length,) if length else (10, 12)
    if len(inn) not in lengths:
        raise InvalidValue(" or ".join(str(n) for n in lengths) + " digits are expected")
    if len(inn) == 10:
        valid = _control(inn, _W10) == int(inn[9])
    else:
        valid = _control(inn, _W11) == int(inn[10]) and _control(inn, _W12) == int(inn[11])
    if not valid:
        raise InvalidValue("the INN control digits do not match")
    return inn


def inn_with_control(first: str) -> str:
    """Complete 9 or 10 leading digits to a valid INN (test data and the benchmark)."""
    if len(first) == 9:
        return first + str(_control(first, _W10))
    with_11 = first + str(_control(first, _W11))
    return with_11 + str(_control(with_11, _W12))


def check_passport(series: object, number: object) -> tuple[str, str]:
    if not isinstance(series, str) or not _SERIES.match(series):
        raise InvalidValue("an RF passport series is 4 digits")
    if not isinstance(number, str) or not _NUMBER.match(number):
        raise InvalidValue("an RF passport number is 6 digits")
    return series.replace(" ", ""), number


def check_issuer_code(value: object) -> str:
    if not isinstance(value, str) or not _ISSUER.match(value):
        raise InvalidValue("an issuing unit code is written NNN-NNN")
    digits = value.replace("-", "")
    return f"{digits[:3]}-{digits[3:]}"


def check_oktmo(value: object) -> str:
    oktmo = _digits(value)
    if len(oktmo) not in (8, 11):
        raise InvalidValue("an OKTMO code is 8 or 11 digits")
    return oktmo


def check_phone(value: object) -> str:
    """A Russian number, stored as ``+7`` and ten digits."""
    text = _PHONE_NOISE.sub("", value) if isinstance(value, str) else ""
    if text.startswith("8") and len(text) == 11:
        text = "+7" + text[1:]
    if not (text.startswith("+7") and len(text) == 12 and text[1:].isascii() and text[1:].isdigit()):
        raise InvalidValue("a phone number is written +7 and ten digits")
    return text


def check_email(value: object) -> str:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value):
        raise InvalidValue("must be an e-mail address such as name@example.ru")
    return value
