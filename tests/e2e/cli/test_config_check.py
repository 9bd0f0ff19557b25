"""``frmr-sso config check`` and the refusals of ``frmr-sso serve``, as an operator meets them: a table
of what is fine and what is not (exit 0 / 1), or one line naming a bad setting (exit 2)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.e2e.cli.support import clean_env, one_line_error, run

SECRET_KEY = "check-test-secret-key-6a3f8c1e9b2d7054"


def _closed_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def _production(database_url: str, **extra: str) -> dict[str, str]:
    return clean_env(FRMR_SSO_MODE="production", FRMR_SSO_SECRET_KEY=SECRET_KEY,
                     FRMR_SSO_ISSUER="https://sso.example.test", FRMR_SSO_DATABASE_URL=database_url, **extra)


def _rows(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    assert lines[0].split() == ["check", "status", "detail"]
    return {re.split(r"\s{2,}", line)[0]: line for line in lines[1:]}


def test_all_fine(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text("- {client_id: emr, name: EMR, secret: emr-secret-value-1234, "
                       "redirect_uris: ['https://emr.example/cb']}\n", encoding="utf-8")
    env = _production(migrated_database_url, FRMR_SSO_CLIENTS_FILE=str(clients))
    if redis_url:
        env["FRMR_SSO_REDIS_URL"] = redis_url
    result = run(env, "config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert re.search(r"^settings\s+ok\s+mode production, from the environment$", rows["settings"])
    assert re.search(r"\sok\s+.*clients\.yaml: 1 clients$", rows["FRMR_SSO_CLIENTS_FILE"])
    assert re.search(r"\s-\s+not set", rows["FRMR_SSO_UPSTREAMS_FILE"])
    assert re.search(r"^database\s+ok\s+(sqlite|postgresql), schema at ", rows["database"])
    assert re.search(r"^redis\s+ok\s+PING answered$" if redis_url else r"^redis\s+-\s+", rows["redis"])
    assert result.stderr == ""


def test_every_failure_is_a_row_and_exit_1(empty_database_url: str, tmp_path: Path) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text("- {client_id: svc, name: Svc, secret: demo-service-secret, "
                       "grant_types: [client_credentials]}\n", encoding="utf-8")
    upstreams = tmp_path / "upstreams.yaml"
    upstreams.write_text(f"upstreams:\n  - {{name: regional, type: oidc, issuer: 'http://127.0.0.1:{_closed_port()}',"
                         " client_id: frmr, client_secret: regional-secret-value}\n", encoding="utf-8")
    env = _production(empty_database_url, FRMR_SSO_CLIENTS_FILE=str(clients),
                      FRMR_SSO_UPSTREAMS_FILE=str(upstreams),
                      FRMR_SSO_REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    result = run(env, "config", "check", "--timeout", "2", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert "FAILED" in rows["FRMR_SSO_CLIENTS_FILE"]
    assert "client 'svc': secret: is a published demo secret" in rows["FRMR_SSO_CLIENTS_FILE"]
    assert re.search(r"\sok\s+.*upstreams\.yaml: regional$", rows["FRMR_SSO_UPSTREAMS_FILE"])
    assert re.search(r"^database\s+FAILED\s+.*no schema yet; run `frmr-sso migrate`$", rows["database"])
    assert re.search(r"^redis\s+FAILED\s+FRMR_SSO_REDIS_URL: no answer to PING$", rows["redis"])
    discovery = r"http://127\.0\.0\.1:\d+/\.well-known/openid-configuration"
    assert re.search(rf"^upstream regional\s+FAILED\s+{discovery}: ConnectError", rows["upstream regional"])
    assert "Traceback" not in result.stderr


def test_a_statement_signer_that_does_not_open_is_a_failed_row(
    migrated_database_url: str, tmp_path: Path
) -> None:
    signer = f'{{"kind": "pkcs11", "module": "{tmp_path}/absent.so", "token_label": "t", "key_label": "k"}}'
    result = run(_production(migrated_database_url, FRMR_SSO_STATEMENT_SIGNER=signer), "config", "check",
                 cwd=tmp_path)
    assert result.returncode == 1
    row = _rows(result.stdout)["FRMR_SSO_STATEMENT_SIGNER"]
    assert re.search(r"\sFAILED\s+module: .*absent\.so is not a file", row)


def test_a_missing_upstreams_file_is_a_failed_row(migrated_database_url: str, tmp_path: Path) -> None:
    env = _production(migrated_database_url, FRMR_SSO_UPSTREAMS_FILE=str(tmp_path / "absent.yaml"))
    result = run(env, "config", "check", cwd=tmp_path)
    assert result.returncode == 1
    row = _rows(result.stdout)["FRMR_SSO_UPSTREAMS_FILE"]
    assert re.search(r"\sFAILED\s+cannot read the upstreams file .*absent\.yaml", row)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FRMR_SSO_DATABASE_URL", "mysql://root:hunter2@db/frmr",
         "FRMR_SSO_DATABASE_URL: expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://"),
        ("FRMR_SSO_TRUSTED_PROXIES", '["10.0.0.0/8"',
         "FRMR_SSO_TRUSTED_PROXIES: expected a JSON list or comma-"),
        ("FRMR_SSO_TRUSTED_PROXIES", "10.0.0.0/33",
         "FRMR_SSO_TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address"),
        ("FRMR_SSO_SECRET_KEY", "a" * 32, "FRMR_SSO_SECRET_KEY is guessable (about 0 bits, at least 100"),
        ("FRMR_SSO_CABINET_CLIENT_SECRET", "frmr-cabinet-demo-secret",
         "FRMR_SSO_CABINET_CLIENT_SECRET is the published demo secret"),
        ("FRMR_SSO_PORT", "http", "FRMR_SSO_PORT: Input should be a valid integer"),
    ],
)
@pytest.mark.parametrize("command", [("config", "check"), ("serve",)])
def test_bad_settings_are_one_line_and_exit_2(
    tmp_path: Path, variable: str, value: str, expected: str, command: tuple[str, ...]
) -> None:
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}") | {variable: value}
    line = one_line_error(run(env, *command, cwd=tmp_path))
    assert expected in line
    assert "hunter2" not in line
    assert not (tmp_path / "x.db").exists(), "refused before anything starts"


def test_trusted_proxies_may_be_comma_separated(migrated_database_url: str, tmp_path: Path) -> None:
    env = _production(migrated_database_url, FRMR_SSO_TRUSTED_PROXIES="10.0.0.0/8, 192.168.0.1")
    assert run(env, "config", "check", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("clients", "expected"),
    [
        ("- {client_id: svc, name: Svc, secret: demo-service-secret, grant_types: [client_credentials]}",
         "client 'svc': secret: is a published demo secret"),
        ("- {client_id: spa, name: SPA, public: true, redirect_uris: ['http://evil.example/cb']}",
         "client 'spa': redirect_uris: 'http://evil.example/cb' must be https (plain http only to a"),
    ],
)
def test_serve_refuses_a_weak_clients_file_in_one_line(tmp_path: Path, clients: str, expected: str) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(clients + "\n", encoding="utf-8")
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", FRMR_SSO_CLIENTS_FILE=str(path))
    line = one_line_error(run(env, "serve", "--port", "1", cwd=tmp_path))
    assert line.startswith("frmr-sso: FRMR_SSO_CLIENTS_FILE: clients file ")
    assert expected in line


def test_serve_names_a_missing_upstreams_file_in_one_line(tmp_path: Path) -> None:
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                      FRMR_SSO_UPSTREAMS_FILE=str(tmp_path / "absent.yaml"))
    line = one_line_error(run(env, "serve", "--port", "1", cwd=tmp_path))
    assert line.startswith("frmr-sso: FRMR_SSO_UPSTREAMS_FILE: cannot read the upstreams file ")
    assert "absent.yaml" in line


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    result = run(env, "config", "check", "--timeout", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--timeout: must be a number of seconds from 0.1 to 60" in result.stderr
