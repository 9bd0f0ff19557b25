from __future__ import annotations

import re

from frmr_sso.cabinet_backend.change_requests.contact_codes import ContactCodes
from frmr_sso.cabinet_backend.notifications import Channel, DevOutbox
from frmr_sso.security.limiter import Lockout
from frmr_sso.security.lockout import LockoutPolicy
from frmr_sso.storage.kv.memory import MemoryKV


def codes(kv: MemoryKV, outbox: DevOutbox, max_failures: int = 3) -> ContactCodes:
    lockout = Lockout(kv, LockoutPolicy(max_failures=max_failures, base_wait=60, max_wait=900), "test")
    return ContactCodes(kv, outbox, lockout, key=b"k" * 32)


async def sent_code(outbox: DevOutbox, address: str) -> str:
    text = (await outbox.read(address))[0]["text"]
    found = re.search(r"\b([0-9]{6})\b", text)
    assert found is not None
    return found.group(1)


async def test_the_right_code_works_once_and_only_for_its_request() -> None:
    kv = MemoryKV()
    outbox = DevOutbox(kv)
    service = codes(kv, outbox)
    channel: Channel = "email"
    await service.send("r1", channel, "new@example.test")
    code = await sent_code(outbox, "new@example.test")
    assert not (await service.check("r2", code, worker="s1")).ok
    assert (await service.check("r1", code, worker="s1")).ok
    assert not (await service.check("r1", code, worker="s1")).ok


async def test_wrong_codes_lock_the_worker_out_and_the_code_is_kept_hashed() -> None:
    kv = MemoryKV()
    outbox = DevOutbox(kv)
    service = codes(kv, outbox)
    await service.send("r1", "sms", "+79991234567")
    code = await sent_code(outbox, "+79991234567")
    assert code not in str(await kv.get("cabinet:contact-code:r1"))
    wrong = "000000" if code != "000000" else "111111"
    results = [await service.check("r1", wrong, worker="s1") for _ in range(3)]
    assert [r.lock is not None for r in results] == [False, False, True]
    locked = await service.check("r1", code, worker="s1")  # even the right code waits out the lock
    assert not locked.ok
    assert locked.lock is not None
    assert locked.lock.locked


async def test_a_code_sent_before_the_secret_key_changed_still_works() -> None:
    kv = MemoryKV()
    outbox = DevOutbox(kv)
    await codes(kv, outbox).send("r1", "email", "new@example.test")  # under the key of b"k" * 32
    code = await sent_code(outbox, "new@example.test")
    lockout = Lockout(kv, LockoutPolicy(max_failures=3, base_wait=60, max_wait=900), "test")
    forgot = ContactCodes(kv, outbox, lockout, key=b"n" * 32)
    assert not (await forgot.check("r1", code, worker="s1")).ok
    rotated = ContactCodes(kv, outbox, lockout, key=b"n" * 32, older_keys=[b"k" * 32])
    assert (await rotated.check("r1", code, worker="s1")).ok
