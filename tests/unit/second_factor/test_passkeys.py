"""Passkeys: the relying party, the ceremonies' checks and the one-time challenge (``Passkeys``)."""

from __future__ import annotations

import json

import pytest

from frmr_sso.second_factor import ceremony
from frmr_sso.second_factor.ceremony import CeremonyFailed, CloneDetected, RelyingParty
from frmr_sso.second_factor.passkeys import MAX_PASSKEYS, Passkeys, PasskeyVerdict
from frmr_sso.storage.kv.memory import MemoryKV
from tests.support.soft_authenticator import SoftAuthenticator, challenge_of
from tests.unit.second_factor.fake_passkeys import FakePasskeys

RP = RelyingParty.from_issuer("https://sso.example.test")
SUBJECT, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


@pytest.mark.parametrize(
    ("issuer", "rp_id", "origin"),
    [
        ("https://sso.example.test", "sso.example.test", "https://sso.example.test"),
        ("https://SSO.Example.test:443/", "sso.example.test", "https://sso.example.test"),
        ("https://sso.example.test:8443/broker", "sso.example.test", "https://sso.example.test:8443"),
        ("http://localhost:8000", "localhost", "http://localhost:8000"),
    ],
)
def test_the_relying_party_is_the_issuers_host_and_origin(issuer: str, rp_id: str, origin: str) -> None:
    rp = RelyingParty.from_issuer(issuer)
    assert (rp.id, rp.origin) == (rp_id, origin)


def test_options_require_user_verification_and_name_the_relying_party() -> None:
    created = json.loads(
        ceremony.creation_options(
            RP, challenge=b"c" * 32, user_id=SUBJECT.encode(), user_name="Иванов Иван",
            display_name="Иванов Иван", existing=[("AAAA", ("usb",))],
        )
    )  # fmt: skip
    assert created["rp"] == {"id": "sso.example.test", "name": "ФРМР"}
    assert created["authenticatorSelection"]["userVerification"] == "required"
    assert "authenticatorAttachment" not in created["authenticatorSelection"]  # platform or roaming
    assert created["excludeCredentials"] == [{"id": "AAAA", "type": "public-key", "transports": ["usb"]}]
    asked = json.loads(ceremony.request_options(RP, challenge=b"c" * 32, allowed=[("AAAA", ())]))
    assert asked["rpId"] == "sso.example.test"
    assert asked["userVerification"] == "required"


def _enrolled(authenticator: SoftAuthenticator) -> tuple[bytes, ceremony.NewCredential]:
    options = ceremony.creation_options(
        RP, challenge=b"r" * 32, user_id=b"u", user_name="u", display_name="u"
    )
    created = ceremony.verify_creation(RP, json.loads(authenticator.create(options)), challenge=b"r" * 32)
    return b"r" * 32, created


def _assertion(authenticator: SoftAuthenticator, challenge: bytes, **kwargs: str) -> dict[str, object]:
    options = ceremony.request_options(RP, challenge=challenge, allowed=[(authenticator.id, ())])
    parsed: dict[str, object] = json.loads(authenticator.get(options, **kwargs))
    return parsed


def test_a_captured_assertion_replayed_is_refused_by_its_counter_and_its_challenge() -> None:
    device = SoftAuthenticator(RP.origin)
    _, created = _enrolled(device)
    captured = _assertion(device, b"1" * 32)
    counter = ceremony.verify_assertion(
        RP, captured, challenge=b"1" * 32, public_key=created.public_key, sign_count=0
    )
    assert counter == 1
    with pytest.raises(CloneDetected):  # the same assertion again: its counter did not move on
        ceremony.verify_assertion(
            RP, captured, challenge=b"1" * 32, public_key=created.public_key, sign_count=1
        )
    with pytest.raises(CeremonyFailed):  # and under the next login's challenge it is no answer at all
        ceremony.verify_assertion(
            RP, captured, challenge=b"2" * 32, public_key=created.public_key, sign_count=0
        )


@pytest.mark.parametrize(
    ("change", "kwargs"),
    [
        ("another origin", {"origin": "https://evil.example.test"}),
        ("another relying party", {"rp_id": "evil.example.test"}),
    ],
)
def test_an_assertion_for_another_site_is_refused(change: str, kwargs: dict[str, str]) -> None:
    device = SoftAuthenticator(RP.origin)
    _, created = _enrolled(device)
    with pytest.raises(CeremonyFailed, match="assertion"):
        ceremony.verify_assertion(
            RP, _assertion(device, b"1" * 32, **kwargs), challenge=b"1" * 32, public_key=created.public_key,
            sign_count=0,
        )  # fmt: skip


def test_without_user_verification_neither_ceremony_passes() -> None:
    device = SoftAuthenticator(RP.origin, verify_user=False)
    with pytest.raises(CeremonyFailed, match="registration"):
        _enrolled(device)
    _, created = _enrolled(SoftAuthenticator(RP.origin, key=device.key, credential_id=device.credential_id))
    with pytest.raises(CeremonyFailed, match="assertion"):
        ceremony.verify_assertion(
            RP,
            _assertion(device, b"1" * 32),
            challenge=b"1" * 32,
            public_key=created.public_key,
            sign_count=0,
        )


def test_a_signature_by_another_key_is_refused() -> None:
    device = SoftAuthenticator(RP.origin)
    _, created = _enrolled(device)
    impostor = SoftAuthenticator(RP.origin, credential_id=device.credential_id)
    with pytest.raises(CeremonyFailed):
        ceremony.verify_assertion(
            RP,
            _assertion(impostor, b"1" * 32),
            challenge=b"1" * 32,
            public_key=created.public_key,
            sign_count=0,
        )


def test_an_authenticator_without_a_counter_stays_at_zero() -> None:
    device = SoftAuthenticator(RP.origin, counting=False)
    _, created = _enrolled(device)
    for challenge in (b"1" * 32, b"2" * 32):
        assertion = _assertion(device, challenge)
        assert (
            ceremony.verify_assertion(
                RP, assertion, challenge=challenge, public_key=created.public_key, sign_count=0
            )
            == 0
        )


@pytest.mark.parametrize("posted", ["", "{", "[]", '{"id": ""}', "x" * 20_000])
def test_malformed_answers_are_refused_before_any_check(posted: str) -> None:
    with pytest.raises(CeremonyFailed, match="malformed"):
        ceremony.parse(posted)


# -- the use case: challenges bound to a login, counters stored -----------------------------


def _passkeys() -> tuple[Passkeys, FakePasskeys, MemoryKV]:
    repo, kv = FakePasskeys(), MemoryKV()
    return Passkeys(repo, kv, RP, namespace="t"), repo, kv


async def _register(
    passkeys: Passkeys, device: SoftAuthenticator, subject: str = SUBJECT, name: str = ""
) -> None:
    options = await passkeys.creation_options("account:s", subject, "Иванов Иван", await passkeys.of(subject))
    registered = await passkeys.register("account:s", subject, name, device.create(options))
    assert registered.passkey is not None, registered.reason


async def test_enrol_then_sign_in_with_the_counter_and_the_time_of_use_stored() -> None:
    passkeys, _repo, _ = _passkeys()
    device = SoftAuthenticator(RP.origin)
    await _register(passkeys, device, name="  Рабочий\u0007 ноутбук ")
    [stored] = await passkeys.of(SUBJECT)
    assert stored.name == "Рабочий ноутбук"
    assert stored.credential_id == device.id
    assert stored.last_used_at is None
    options = await passkeys.request_options("login:p", SUBJECT, [stored])
    assert json.loads(options)["allowCredentials"][0]["id"] == device.id
    done = await passkeys.authenticate("login:p", SUBJECT, device.get(options))
    assert done.verdict is PasskeyVerdict.ACCEPTED
    assert done.passkey == stored
    [used] = await passkeys.of(SUBJECT)
    assert (used.sign_count, used.last_used_at is not None) == (1, True)


async def test_the_challenge_is_one_time_and_bound_to_its_login_and_person() -> None:
    passkeys, _, _ = _passkeys()
    device = SoftAuthenticator(RP.origin)
    await _register(passkeys, device)
    keys = await passkeys.of(SUBJECT)
    options = await passkeys.request_options("login:p", SUBJECT, keys)
    captured = device.get(options)
    assert (await passkeys.authenticate("login:other", SUBJECT, captured)).verdict is PasskeyVerdict.REPLAY
    options = await passkeys.request_options("login:p", SUBJECT, keys)
    assert (
        await passkeys.authenticate("login:p", OTHER, device.get(options))
    ).verdict is PasskeyVerdict.REPLAY
    options = await passkeys.request_options("login:p", SUBJECT, keys)
    captured = device.get(options)
    assert (await passkeys.authenticate("login:p", SUBJECT, captured)).verdict is PasskeyVerdict.ACCEPTED
    # The captured assertion again: its challenge was read once and is gone ...
    assert (await passkeys.authenticate("login:p", SUBJECT, captured)).verdict is PasskeyVerdict.REPLAY
    # ... and under the next showing's challenge it does not verify.
    await passkeys.request_options("login:p", SUBJECT, keys)
    assert (await passkeys.authenticate("login:p", SUBJECT, captured)).verdict is PasskeyVerdict.WRONG
    # A registration's challenge answers no sign-in.
    created = await passkeys.creation_options("login:p", SUBJECT, "x", keys)
    assert challenge_of(created)
    assert (
        await passkeys.authenticate("login:p", SUBJECT, device.get(options))
    ).verdict is PasskeyVerdict.REPLAY


async def test_a_clone_whose_counter_falls_behind_is_refused_and_the_key_stays_as_it_was() -> None:
    passkeys, _, _ = _passkeys()
    device = SoftAuthenticator(RP.origin)
    await _register(passkeys, device)
    copy = device.clone()
    keys = await passkeys.of(SUBJECT)
    for _ in range(2):
        options = await passkeys.request_options("login:p", SUBJECT, keys)
        assert (
            await passkeys.authenticate("login:p", SUBJECT, device.get(options))
        ).verdict.value == "accepted"
    options = await passkeys.request_options("login:p", SUBJECT, keys)
    refused = await passkeys.authenticate("login:p", SUBJECT, copy.get(options))
    assert refused.verdict is PasskeyVerdict.CLONE
    assert refused.passkey is not None
    [stored] = await passkeys.of(SUBJECT)
    assert stored.sign_count == 2


async def test_a_credential_of_someone_else_or_of_no_one_is_unknown() -> None:
    passkeys, _, _ = _passkeys()
    mine, theirs, stranger = (SoftAuthenticator(RP.origin) for _ in range(3))
    await _register(passkeys, mine)
    await _register(passkeys, theirs, subject=OTHER)
    keys = await passkeys.of(SUBJECT)
    for device in (theirs, stranger):
        options = await passkeys.request_options("login:p", SUBJECT, keys)
        assert (
            await passkeys.authenticate("login:p", SUBJECT, device.get(options))
        ).verdict is PasskeyVerdict.UNKNOWN


async def test_registrations_refused_a_replay_a_duplicate_a_foreign_origin_and_the_eleventh() -> None:
    passkeys, _, _ = _passkeys()
    device = SoftAuthenticator(RP.origin)
    options = await passkeys.creation_options("account:s", SUBJECT, "x", [])
    answer = device.create(options)
    assert (await passkeys.register("account:s", SUBJECT, "", answer)).passkey is not None
    assert (await passkeys.register("account:s", SUBJECT, "", answer)).reason == "replay"
    options = await passkeys.creation_options("account:s", SUBJECT, "x", [])
    assert (await passkeys.register("account:s", SUBJECT, "", device.create(options))).reason == "duplicate"
    options = await passkeys.creation_options("account:s", SUBJECT, "x", [])
    foreign = SoftAuthenticator(RP.origin).create(options, origin="https://evil.example.test")
    assert (await passkeys.register("account:s", SUBJECT, "", foreign)).reason == "registration"
    for _ in range(MAX_PASSKEYS - 1):
        await _register(passkeys, SoftAuthenticator(RP.origin))
    names = [p.name for p in await passkeys.of(SUBJECT)]
    assert names[:2] == ["Ключ доступа 1", "Ключ доступа 2"]
    options = await passkeys.creation_options("account:s", SUBJECT, "x", [])
    eleventh = await passkeys.register("account:s", SUBJECT, "", SoftAuthenticator(RP.origin).create(options))
    assert eleventh.reason == "too_many"


async def test_remove_one_then_all() -> None:
    passkeys, _, _ = _passkeys()
    for _ in range(3):
        await _register(passkeys, SoftAuthenticator(RP.origin))
    first, *_ = await passkeys.of(SUBJECT)
    assert await passkeys.remove(OTHER, first.id) is None
    assert await passkeys.remove(SUBJECT, first.id) == first
    assert await passkeys.remove_all(SUBJECT) == 2
    assert not await passkeys.enrolled(SUBJECT)
