"""Secret key rotation on both backends: values sealed by the broker's own services under the old
key open after the rotation, ``reseal`` moves them (in batches, idempotent, racing the broker), and
after it the old key can go."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.bootstrap import Container, build_container
from frmr_sso.config import Settings, load_settings
from frmr_sso.oidc.keys import SigningKeyUnavailable
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.credentials import Verdict
from frmr_sso.security.crypto import DecryptionError, FieldCipher, SecretKeys
from frmr_sso.security.reseal import ResealCount, reseal_all, reseal_column
from frmr_sso.storage.ports.sealed import SealedValue
from frmr_sso.storage.sql import SqlSecondFactorRepository, SqlSubjectRepository
from frmr_sso.storage.sql.sealed import SqlSealedColumn, sealed_columns

OLD, NEW = "old-secret-key-0123456789-abcdefghijkl", "new-secret-key-0123456789-mnopqrstuvwx"
SUBJECTS = 12


def _settings(url: str, redis_url: str | None, secret: str, previous: Sequence[str] = ()) -> Settings:
    return load_settings(
        mode="demo", database_url=url, redis_url=redis_url, secret_key=secret,
        previous_secret_keys=list(previous),
    )


async def _open(settings: Settings) -> Container:
    return await build_container(settings)


@pytest.fixture
async def sealed_by_old(
    migrated_database_url: str, redis_url: str | None, engine: AsyncEngine
) -> dict[str, str]:
    """A broker under OLD: its signing keys, TOTP secrets of SUBJECTS people, the statement signer."""
    container = await _open(_settings(migrated_database_url, redis_url, OLD))
    secrets: dict[str, str] = {}
    try:
        subjects = SqlSubjectRepository(engine)
        step = totp.current_step(time.time()) - 5
        for n in range(SUBJECTS):
            subject = (await subjects.get_or_create_by_esia_oid(f"oid-{n}")).id
            secrets[subject] = totp.new_secret()
            await container.totp.enrol(subject, secrets[subject], step)
        await container.statements._pdf_signer()
    finally:
        await container.aclose()
    return secrets


def _signs(container: Container) -> None:
    token = container.keys.sign({"sub": "x"}, alg="RS256")
    key = jwt.PyJWKSet.from_dict(container.keys.jwks())[jwt.get_unverified_header(token)["kid"]]
    assert jwt.decode(token, key, algorithms=["RS256"]) == {"sub": "x"}


Counts = tuple[int, int, int, int]  # resealed, already current, changed meanwhile, unreadable


def _counts(results: Sequence[ResealCount]) -> dict[str, Counts]:
    return {r.kind: (r.resealed, r.current, r.changed, r.unreadable) for r in results}


def _per_kind(signing: Counts, totp_secrets: Counts, statement: Counts) -> dict[str, Counts]:
    return {"signing keys": signing, "TOTP secrets": totp_secrets, "statement signing key": statement}


async def test_rotation_then_reseal_then_the_old_key_can_go(
    sealed_by_old: dict[str, str], migrated_database_url: str, redis_url: str | None, engine: AsyncEngine
) -> None:
    url = migrated_database_url
    subject, secret = next(iter(sealed_by_old.items()))
    old_copy = (await SqlSecondFactorRepository(engine).get(subject))
    assert old_copy is not None

    with pytest.raises((SigningKeyUnavailable, DecryptionError)):  # without the old key nothing opens
        await (await _open(_settings(url, redis_url, NEW))).aclose()
    new_only = SecretKeys(NEW)
    assert _counts(await reseal_all(sealed_columns(engine), new_only)) == _per_kind(
        (0, 0, 0, 2), (0, 0, 0, SUBJECTS), (0, 0, 0, 1)
    )

    rotated = _settings(url, redis_url, NEW, [OLD])
    container = await _open(rotated)  # the old key opens what it sealed
    try:
        _signs(container)
        code = totp.code_at(secret, totp.current_step(time.time()))
        assert await container.totp.verify(subject, code) is Verdict.TOTP
    finally:
        await container.aclose()

    keys = SecretKeys.from_settings(rotated)
    first = await reseal_all(sealed_columns(engine), keys, batch_size=5)
    assert _counts(first) == _per_kind((2, 0, 0, 0), (SUBJECTS, 0, 0, 0), (1, 0, 0, 0))
    again = await reseal_all(sealed_columns(engine), keys, batch_size=5)
    assert _counts(again) == _per_kind((0, 2, 0, 0), (0, SUBJECTS, 0, 0), (0, 1, 0, 0))  # idempotent

    container = await _open(_settings(url, redis_url, NEW))  # the old key removed
    try:
        _signs(container)
        for other, other_secret in list(sealed_by_old.items())[1:]:
            code = totp.code_at(other_secret, totp.current_step(time.time()))
            assert await container.totp.verify(other, code) is Verdict.TOTP
        await container.statements._pdf_signer()
    finally:
        await container.aclose()
    backup = old_copy.secret_encrypted  # a copy sealed under the old key: opens only while it is listed
    assert SecretKeys(NEW, [OLD]).cipher("totp").decrypt_text(backup, associated_data=subject) == secret
    with pytest.raises(DecryptionError):
        FieldCipher(NEW, purpose="totp").decrypt(backup, associated_data=subject)


async def test_the_broker_keeps_signing_and_checking_codes_while_the_reseal_runs(
    sealed_by_old: dict[str, str], migrated_database_url: str, redis_url: str | None, engine: AsyncEngine
) -> None:
    rotated = _settings(migrated_database_url, redis_url, NEW, [OLD])
    container = await _open(rotated)
    keys = SecretKeys.from_settings(rotated)
    reseal = asyncio.create_task(reseal_all(sealed_columns(engine), keys, batch_size=1))
    served: list[Verdict] = []
    try:
        step = totp.current_step(time.time())
        for subject, secret in sealed_by_old.items():
            _signs(container)
            served.append(await container.totp.verify(subject, totp.code_at(secret, step)))
            await asyncio.sleep(0)
        counts = _counts(await reseal)
    finally:
        await container.aclose()
    assert served == [Verdict.TOTP] * SUBJECTS
    resealed, _, changed, unreadable = counts["TOTP secrets"]
    assert (resealed + changed, unreadable) == (SUBJECTS, 0)  # resealed, or rewritten by the broker meanwhile


class _EnrolsMeanwhile:
    """A column whose rows the broker rewrites between the reseal's read and its write."""

    def __init__(self, column: SqlSealedColumn, rewrite: Callable[[str], Awaitable[None]]) -> None:
        self._column, self._rewrite = column, rewrite
        self.kind, self.purpose = column.kind, column.purpose

    async def batch(self, after: str | None, limit: int) -> Sequence[SealedValue]:
        return await self._column.batch(after, limit)

    async def replace(self, changes: Sequence[tuple[SealedValue, str]]) -> int:
        await self._rewrite(changes[0][0].row_id)
        return await self._column.replace(changes)


async def test_a_value_the_broker_rewrites_during_the_reseal_is_kept(
    sealed_by_old: dict[str, str], migrated_database_url: str, redis_url: str | None, engine: AsyncEngine
) -> None:
    rotated = _settings(migrated_database_url, redis_url, NEW, [OLD])
    container = await _open(rotated)
    fresh: dict[str, str] = {}

    async def enrol_again(subject: str) -> None:
        fresh[subject] = totp.new_secret()
        await container.totp.enrol(subject, fresh[subject], totp.current_step(time.time()) - 3)

    try:
        totp_column = next(c for c in sealed_columns(engine) if c.purpose == "totp")
        count = await reseal_column(
            _EnrolsMeanwhile(totp_column, enrol_again), SecretKeys.from_settings(rotated), batch_size=4
        )
        assert (count.resealed, count.changed, count.unreadable) == (SUBJECTS - 3, 3, 0)
        for subject, secret in fresh.items():  # the new enrolment stands, not the resealed old secret
            code = totp.code_at(secret, totp.current_step(time.time()))
            assert await container.totp.verify(subject, code) is Verdict.TOTP
    finally:
        await container.aclose()
