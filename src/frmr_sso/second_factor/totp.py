"""The broker's own second factor: TOTP (RFC 6238, pyotp) and one-time recovery codes. Pure, no I/O.

A TOTP secret is 160 random bits in base32 (RFC 4226 §4), shown once at
enrolment as an ``otpauth://`` URI, its QR code (SVG, drawn inline: the pages'
CSP allows no data: images) and in groups of four for typing. A code is accepted
for the current 30-second step and one step either side (clock drift); which
step matched is returned, so the caller can refuse a replay of that step or of
any older one.

Recovery codes are ten random ``xxxxx-xxxxx`` words of an alphabet without
look-alike characters (about 50 bits each). They are stored only as an
HMAC-SHA256 under a key derived from the deployment secret: high-entropy
values need no slow KDF, and a keyed hash lets the store find and spend one
with a single conditional UPDATE.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets

import pyotp
import segno

ISSUER_NAME = "ФРМР"
DIGITS, INTERVAL, VALID_WINDOW = 6, 30, 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_HALF = 5
_TOTP_SHAPE = re.compile(r"[0-9]{6}")
_RECOVERY_SHAPE = re.compile(f"[{RECOVERY_ALPHABET}]{{{2 * _RECOVERY_HALF}}}")
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    """160 random bits, base32 without padding (32 characters)."""
    return pyotp.random_base32(32)


def grouped(secret: str) -> str:
    """``ABCD EFGH …``: the secret as a person types it into an authenticator app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER_NAME) -> str:
    """The ``otpauth://totp/…`` URI authenticator apps read from the QR code."""
    uri: str = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )
    return uri


def qr_svg(uri: str, *, title: str = "QR-код для приложения-аутентификатора") -> str:
    """An inline ``<svg>`` of ``uri`` (no XML declaration, so it can sit inside HTML)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=5, border=3, light="#fff", title=title
    )
    return out.getvalue().decode("utf-8")


def normalize(code: str) -> str:
    """What was typed, without spaces and dashes, lower case."""
    return _SEPARATORS.sub("", code).lower()


def looks_like_totp(code: str) -> bool:
    return _TOTP_SHAPE.fullmatch(normalize(code)) is not None


def looks_like_recovery_code(code: str) -> bool:
    return _RECOVERY_SHAPE.fullmatch(normalize(code)) is not None


def current_step(now: float) -> int:
    return int(now) // INTERVAL


def matching_step(secret: str, code: str, now: float, *, window: int = VALID_WINDOW) -> int | None:
    """The time step whose code ``code`` is (current ± ``window``), else None; constant time per step."""
    candidate = normalize(code)
    if _TOTP_SHAPE.fullmatch(candidate) is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    found = None
    current = current_step(now)
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), candidate) and found is None:
            found = step
    return found


def code_at(secret: str, step: int) -> str:
    """The code of ``step`` (tests and the enrolment check use it)."""
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step))


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    def word() -> str:
        return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF))

    codes: set[str] = set()
    while len(codes) < count:
        codes.add(f"{word()}-{word()}")
    return sorted(codes)


def hash_recovery_code(key: bytes, code: str) -> str:
    return hmac.new(key, normalize(code).encode("utf-8"), hashlib.sha256).hexdigest()
