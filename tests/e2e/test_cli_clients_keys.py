"""``frmr-sso clients …`` and ``frmr-sso keys …`` as an operator runs them: real subprocesses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from frmr_sso.oauth.registry import ClientService
from frmr_sso.storage.sql import SqlAuditRepository, SqlClientRepository, create_engine

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FRMR_SSO, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = run(env, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def migrated(env: dict[str, str]) -> dict[str, str]:
    ok(env, "migrate")
    return env


async def test_clients_add_list_remove(migrated: dict[str, str]) -> None:
    env = migrated
    out = ok(env, "clients", "add", "emr", "--name", "Hospital EMR",
             "--redirect-uri", "https://emr.example/cb", "--redirect-uri", "https://emr.example/cb2",
             "--grant-type", "authorization_code", "--grant-type", "refresh_token",
             "--scope", "openid profile", "--scope", "frmr", "--no-refresh-rotation", "--refresh-grace", "20")
    match = re.search(r"client secret \(shown only now, store it safely\): (\S+)", out)
    assert match, out
    generated = match.group(1)
    assert len(generated) >= 43
    ok(env, "clients", "add", "spa", "--name", "SPA", "--public", "--redirect-uri", "http://127.0.0.1:5000/cb")
    out = ok(env, "clients", "add", "svc", "--name", "Service", "--secret", "-",
             "--grant-type", "client_credentials", "--scope", "frmr", stdin="typed-secret-value\n")
    assert "typed-secret-value" not in out

    listing = ok(env, "clients", "list")
    lines = listing.splitlines()
    assert lines[0].split()[:2] == ["client_id", "type"]
    assert re.search(r"^emr\s+confidential\s+authorization_code,refresh_token\s+openid profile frmr\s+"
                     r"https://emr.example/cb https://emr.example/cb2$", listing, re.M), listing
    assert re.search(r"^spa\s+public\s+authorization_code", listing, re.M)
    assert re.search(r"^svc\s+confidential\s+client_credentials\s+frmr$", listing, re.M)
    assert "scrypt" not in listing
    assert generated not in listing
    assert "typed-secret-value" not in listing

    engine = create_engine(env["FRMR_SSO_DATABASE_URL"])
    try:
        service = ClientService(SqlClientRepository(engine))
        emr = await service.authenticate("emr", secret=generated, method="client_secret_basic")
        assert emr.scopes == frozenset({"openid", "profile", "frmr"})
        assert (emr.refresh_rotation, emr.refresh_grace) == (False, 20)
        await service.authenticate("svc", secret="typed-secret-value", method="client_secret_post")
        await service.authenticate("spa", secret=None, method="none")
    finally:
        await engine.dispose()

    assert ok(env, "clients", "remove", "spa").strip() == "client 'spa' removed"
    again = run(env, "clients", "remove", "spa")
    assert again.returncode == 1
    assert "no client 'spa'" in again.stderr
    assert "spa " not in ok(env, "clients", "list")

    engine = create_engine(env["FRMR_SSO_DATABASE_URL"])
    try:
        records = await SqlAuditRepository(engine).list()
    finally:
        await engine.dispose()
    admin = [(r.event_type, r.client_id) for r in records if r.event_type.startswith("admin.")]
    assert admin == [("admin.client_added", "emr"), ("admin.client_added", "spa"),
                     ("admin.client_added", "svc"), ("admin.client_removed", "spa")]
    assert generated not in repr(records)
    assert "typed-secret-value" not in repr(records)


def test_clients_add_reports_problems_without_a_traceback(migrated: dict[str, str]) -> None:
    env = migrated
    ok(env, "clients", "add", "svc", "--name", "Service", "--secret", "long-enough-secret",
       "--grant-type", "client_credentials")
    taken = run(env, "clients", "add", "svc", "--name", "Again", "--secret", "long-enough-secret",
                "--grant-type", "client_credentials")
    assert taken.returncode == 1
    assert "conflicts with stored data" in taken.stderr
    invalid = run(env, "clients", "add", "web", "--name", "Web", "--secret", "short")
    assert invalid.returncode == 1
    assert "client 'web': redirect_uris: authorization_code needs at least one redirect URI" in invalid.stderr
    assert "client 'web': secret: must be at least 12 characters" in invalid.stderr
    both = run(env, "clients", "add", "x", "--name", "X", "--public", "--secret", "abc")
    assert both.returncode == 2
    policy = run(env, "clients", "add", "spa", "--name", "SPA", "--public", "--redirect-uri",
                 "http://127.0.0.1:5000/cb", "--no-refresh-rotation", "--refresh-grace", "61")
    assert policy.returncode == 1
    assert "client 'spa': refresh_grace: must be 0-60 seconds" in policy.stderr
    assert "client 'spa': refresh_rotation: a public client's refresh tokens always rotate" in policy.stderr
    for result in (taken, invalid, both, policy):
        assert "Traceback" not in result.stderr


def _keys(env: dict[str, str]) -> list[list[str]]:
    return [line.split() for line in ok(env, "keys", "list").splitlines()[1:]]


def test_keys_rotate_and_list(migrated: dict[str, str]) -> None:
    env = migrated
    out = ok(env, "keys", "rotate")
    assert re.search(r"^RS256: new active key \S+$", out, re.M)
    assert re.search(r"^ES256: new active key \S+$", out, re.M)
    first = {row[1]: row[0] for row in _keys(env)}
    assert set(first) == {"RS256", "ES256"}

    out = ok(env, "keys", "rotate", "--alg", "RS256")
    new_kid = re.search(r"^RS256: new active key (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    assert "ES256" not in out
    rows = {row[0]: row for row in _keys(env)}
    assert rows[new_kid][1:3] == ["RS256", "active"]
    assert rows[first["RS256"]][1:3] == ["RS256", "previous"]
    assert rows[first["RS256"]][4] != "-"  # not_after is set
    assert rows[first["ES256"]][1:3] == ["ES256", "active"]
    assert "v1." not in ok(env, "keys", "list")

    bad = run(env, "keys", "rotate", "--alg", "HS256")
    assert bad.returncode == 2


def test_a_key_rotation_is_audited(migrated: dict[str, str]) -> None:
    import asyncio

    out = ok(migrated, "keys", "rotate", "--alg", "ES256")
    kid = re.search(r"^ES256: new active key (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]

    async def rotations() -> list[dict[str, object]]:
        engine = create_engine(migrated["FRMR_SSO_DATABASE_URL"])
        try:
            records = await SqlAuditRepository(engine).list()
        finally:
            await engine.dispose()
        return [dict(r.details, ua=r.user_agent) for r in records if r.event_type == "keys.rotated"]

    [rotation] = asyncio.run(rotations())
    assert (rotation["kid"], rotation["alg"]) == (kid, "ES256")
    assert str(rotation["ua"]).startswith("frmr-sso keys rotate (")


def test_commands_on_an_unmigrated_database_fail_cleanly(env: dict[str, str]) -> None:
    for args in (("clients", "list"), ("keys", "list")):
        result = run(env, *args)
        assert result.returncode == 1
        assert result.stderr.startswith("frmr-sso: ")
        assert "frmr-sso migrate" in result.stderr
        assert "Traceback" not in result.stderr
