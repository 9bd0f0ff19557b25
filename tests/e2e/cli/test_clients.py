"""``frmr-sso clients …`` as an operator runs it: real subprocesses."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from frmr_sso.oauth.client_service import ClientService
from frmr_sso.storage.sql import SqlAuditRepository, SqlClientRepository, create_engine
from tests.e2e.cli.support import clean_env, ok, one_line_error, run

NO_SCHEMA = "frmr-sso: the database of FRMR_SSO_DATABASE_URL has no schema yet; run `frmr-sso migrate`"


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
             "--grant-type", "client_credentials", "--scope", "frmr", "--access-token-format", "opaque",
             stdin="typed-secret-value\n")
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
        svc = await service.authenticate("svc", secret="typed-secret-value", method="client_secret_post")
        assert (svc.access_token_format, emr.access_token_format) == ("opaque", "jwt")
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


def test_clients_add_reports_problems_in_one_line_with_exit_2(migrated: dict[str, str]) -> None:
    env = migrated
    ok(env, "clients", "add", "svc", "--name", "Service", "--secret", "long-enough-secret",
       "--grant-type", "client_credentials")
    taken = run(env, "clients", "add", "svc", "--name", "Again", "--secret", "long-enough-secret",
                "--grant-type", "client_credentials")
    assert one_line_error(taken) == ("frmr-sso: client_id 'svc' is already registered "
                                     "(frmr-sso clients remove svc first to replace it)")
    invalid = one_line_error(run(env, "clients", "add", "web", "--name", "Web", "--secret", "short"))
    assert "client 'web': redirect_uris: authorization_code needs at least one redirect URI" in invalid
    assert "client 'web': secret: must be at least 12 characters" in invalid
    assert "short" not in invalid.replace("secret: must", "")
    both = one_line_error(run(env, "clients", "add", "x", "--name", "X", "--public", "--secret", "abc"))
    assert both.startswith("frmr-sso clients add: argument --secret: not allowed with argument --public")
    policy = one_line_error(run(env, "clients", "add", "spa", "--name", "SPA", "--public", "--redirect-uri",
                                "http://127.0.0.1:5000/cb", "--no-refresh-rotation", "--refresh-grace", "61"))
    assert "client 'spa': refresh_grace: must be 0-60 seconds" in policy
    assert "client 'spa': refresh_rotation: a public client's refresh tokens always rotate" in policy
    grant = one_line_error(run(env, "clients", "add", "x", "--name", "X", "--grant-type", "implicit"))
    assert "argument --grant-type: invalid choice: 'implicit'" in grant
    assert grant.endswith("(see frmr-sso clients add --help)")


def test_commands_on_an_unmigrated_database_fail_cleanly(env: dict[str, str]) -> None:
    for args in (("clients", "list"), ("keys", "list")):
        line = one_line_error(run(env, *args), 1)
        assert line == NO_SCHEMA


@pytest.mark.parametrize(
    ("url", "reason"),
    [("sqlite+aiosqlite:///{tmp}/a-file/x.db", "{tmp}/a-file: File exists"),
     ("postgresql+asyncpg://postgres@127.0.0.1:{port}/frmr", "Connect call failed")],
)
def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path, url: str, reason: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url, reason = url.format(tmp=tmp_path, port=port), reason.format(tmp=tmp_path)
    env = clean_env(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=url)
    line = one_line_error(run(env, "clients", "list"), 1)
    assert line.startswith("frmr-sso: FRMR_SSO_DATABASE_URL: cannot open the database (")
    assert reason in line


def test_production_refuses_demo_secrets_and_plain_http_redirects(tmp_path: Path) -> None:
    env = clean_env(FRMR_SSO_MODE="production", FRMR_SSO_ISSUER="https://sso.example.test",
                    FRMR_SSO_SECRET_KEY="clients-test-secret-key-8e1d4b7a2c5f9063",
                    FRMR_SSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}")
    ok(env, "migrate")
    demo = run(env, "clients", "add", "svc", "--name", "S", "--secret", "-",
               "--grant-type", "client_credentials", stdin="demo-service-secret\n")
    assert "client 'svc': secret: is a published demo secret" in one_line_error(demo)
    plain = run(env, "clients", "add", "spa", "--name", "S", "--public",
                "--redirect-uri", "http://evil.example/cb")
    expected = "'http://evil.example/cb' must be https (plain http only to a loopback address)"
    assert expected in one_line_error(plain)
    ok(env, "clients", "add", "cli", "--name", "Native", "--public", "--redirect-uri", "http://127.0.0.1:7000/cb")
    assert "svc" not in ok(env, "clients", "list")
