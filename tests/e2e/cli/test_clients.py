"""``frmr-sso clients …`` as an operator runs it: real subprocesses."""

from __future__ import annotations

import re

from frmr_sso.oauth.registry import ClientService
from frmr_sso.storage.sql import SqlAuditRepository, SqlClientRepository, create_engine
from tests.e2e.cli.support import ok, run


async def test_clients_add_list_remove(migrated: dict[str, str]) -> None:
    env = migrated
    out = ok(env, "clients", "add", "emr", "--name", "Hospital EMR",
             "--redirect-uri", "https://emr.example/cb", "--redirect-uri", "https://emr.example/cb2",
             "--grant-type", "authorization_code", "--grant-type", "refresh_token",
             "--scope", "openid profile", "--scope", "frmr")
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
    for result in (taken, invalid, both):
        assert "Traceback" not in result.stderr


def test_commands_on_an_unmigrated_database_fail_cleanly(env: dict[str, str]) -> None:
    for args in (("clients", "list"), ("keys", "list")):
        result = run(env, *args)
        assert result.returncode == 1
        assert result.stderr.startswith("frmr-sso: ")
        assert "frmr-sso migrate" in result.stderr
        assert "Traceback" not in result.stderr
