"""Where a login stands inside one transaction, and the second factors (SMS code, TOTP).

After the password is verified the transaction gets a ``Progress`` record in the
KV (``login:<tx>``): the account, the stage still ahead (forced password change,
second factor) and, for SMS, the digest and expiry of the code sent. Codes are
stored only as digests. A TOTP code is accepted once: the time step it matched
is marked with ``set_if_absent``, so a replay inside its validity window fails.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

import pyotp

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.accounts import Account, SecondFactor
from mock_esia.outbox import Outbox

CODE_DIGITS = 6
TOTP_VALID_WINDOW = 1
AMR = {SecondFactor.NONE: "PWD", SecondFactor.SMS: "PWD SMS", SecondFactor.TOTP: "PWD TOTP"}


class Stage(StrEnum):
    CHANGE_PASSWORD = "change_password"  # noqa: S105 (a stage name)
    SECOND_FACTOR = "second_factor"


class Verdict(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    REPLAYED = "replayed"


@dataclass(frozen=True)
class Progress:
    oid: int
    stage: Stage
    auth_time: int
    code_digest: str | None = None
    code_expires_at: float | None = None


class LoginProgress:
    def __init__(self, kv: KeyValueStore, ttl: float) -> None:
        self._kv = kv
        self._ttl = ttl

    async def save(self, tx: str, progress: Progress) -> None:
        await self._kv.set(f"login:{tx}", json.dumps(asdict(progress)), self._ttl)

    async def load(self, tx: str) -> Progress | None:
        raw = await self._kv.get(f"login:{tx}")
        if raw is None:
            return None
        data = json.loads(raw)
        return Progress(**{**data, "stage": Stage(data["stage"])})

    async def drop(self, tx: str) -> None:
        await self._kv.delete(f"login:{tx}")


def normalise_code(raw: str) -> str | None:
    """Six digits, spaces and dashes allowed between them; None for anything else."""
    code = "".join(ch for ch in raw if ch not in " -")
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    return code


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(scope: str, code: str) -> str:
    return hashlib.sha256(f"{scope}:{code}".encode()).hexdigest()


def send_sms_code(outbox: Outbox, account: Account, *, text: str) -> str:
    """Generate a code and "send" it; ``text`` has a ``{code}`` placeholder."""
    code = new_code()
    aliases = [a for a in (account.email, account.snils_digits) if a]
    outbox.send(phone=account.phone, text=text.format(code=code), code=code, aliases=aliases)
    return code


def with_sms_code(progress: Progress, tx: str, code: str, ttl: float) -> Progress:
    return replace(progress, code_digest=code_digest(tx, code), code_expires_at=time.time() + ttl)


def check_sms_code(progress: Progress, tx: str, code: str) -> Verdict:
    if progress.code_digest is None or progress.code_expires_at is None:
        return Verdict.WRONG
    if not hmac.compare_digest(progress.code_digest, code_digest(tx, code)):
        return Verdict.WRONG
    return Verdict.OK if time.time() <= progress.code_expires_at else Verdict.EXPIRED


def _matching_step(totp: pyotp.TOTP, code: str, now: float) -> int | None:
    current = int(totp.timecode(int(now)))
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(str(totp.generate_otp(step)), code):
            return step
    return None


async def check_totp_code(
    kv: KeyValueStore, account: Account, code: str, now: float | None = None
) -> Verdict:
    if not account.totp_secret:
        return Verdict.WRONG
    totp = pyotp.TOTP(account.totp_secret)
    step = _matching_step(totp, code, time.time() if now is None else now)
    if step is None:
        return Verdict.WRONG
    ttl = totp.interval * (2 * TOTP_VALID_WINDOW + 2)
    if not await kv.set_if_absent(f"totp:used:{account.oid}:{step}", "1", ttl):
        return Verdict.REPLAYED
    return Verdict.OK
