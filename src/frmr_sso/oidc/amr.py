"""Authentication method references (RFC 8176) and ESIA's own names for them.

``amr`` in the broker's ID tokens carries only values of the IANA registry
RFC 8176 §2 founded. ESIA names its methods in ``amr`` / ``urn:esia:amd`` in its
own upper-case words; ``ESIA_AMR`` is the one table that maps them. A value
ESIA may send that the table does not know is left out of ``amr`` (the
original list still travels in the ``esia_amr`` claim). ``mfa`` is added
whenever the methods cover more than one factor (a password and a one-time
code, RFC 8176 §2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REGISTERED: frozenset[str] = frozenset(
    {
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop",
        "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    }
)
"""RFC 8176 §2 values."""

ESIA_AMR: Mapping[str, str] = {
    "PWD": "pwd",  # password
    "SMS": "sms",  # a code sent by SMS
    "TOTP": "otp",  # an authenticator app's one-time code
    "OTP": "otp",
    "DS": "hwk",  # a qualified electronic signature: a key held in a token or smart card
    "MFA": "mfa",
}
"""ESIA's method names (upper case, as in its ``amr`` and ``urn:esia:amd``) → RFC 8176."""

ESIA_AMR_CLAIM = "esia_amr"
"""The claim that passes ESIA's own method names on unchanged."""

_KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
_POSSESSION = frozenset({"otp", "sms", "tel", "hwk", "swk", "sc", "pop"})
_INHERENCE = frozenset({"face", "fpt", "iris", "retina", "vbm"})


def _with_mfa(values: tuple[str, ...]) -> tuple[str, ...]:
    methods = tuple(dict.fromkeys(v for v in values if v != "mfa"))
    kinds = sum(1 for kind in (_KNOWLEDGE, _POSSESSION, _INHERENCE) if not kind.isdisjoint(methods))
    return (*methods, "mfa") if kinds > 1 or "mfa" in values else methods


def from_esia(values: Iterable[str]) -> tuple[str, ...]:
    """RFC 8176 values for ESIA's method names; unknown names are left out."""
    mapped = tuple(ESIA_AMR[v.strip().upper()] for v in values if v.strip().upper() in ESIA_AMR)
    return _with_mfa(mapped)


def registered(values: Iterable[str]) -> tuple[str, ...]:
    """Only the RFC 8176 values of a provider's ``amr`` (compared in lower case)."""
    return _with_mfa(tuple(v.lower() for v in values if v.lower() in REGISTERED))


def with_method(amr: Iterable[str], method: str) -> tuple[str, ...]:
    """``amr`` after one more method succeeded (the broker's own TOTP: ``otp``)."""
    return _with_mfa((*amr, method))
