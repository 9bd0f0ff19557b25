"""The README's commands against a running demo's data, with no variable set: the demo writes
``./var/demo.env`` and the commands run in the same folder read it. The demo also carries the providers
of ``FRMR_SSO_UPSTREAMS_FILE`` beside its mock ESIA (here a small OpenID Provider of the tests)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from frmr_sso.registry.demo import DEMO_PERSONS_FILE
from tests.e2e.cli.support import clean_env, ok, one_line_error, run
from tests.support.demo import Demo, running_demo
from tests.support.oidc_op import CLIENT_ID, CLIENT_SECRET, running_op

REGIONAL = "Региональный вход (проверка)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    cwd = tmp_path_factory.mktemp("demo")
    with running_op() as op:  # a regional OpenID Provider the integrator wants to try
        regional = cwd / "regional.yaml"
        entry = {"name": "regional", "type": "oidc", "display_name": REGIONAL, "issuer": op.issuer,
                 "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        regional.write_text(yaml.safe_dump({"upstreams": [entry]}, allow_unicode=True), encoding="utf-8")
        with running_demo(cwd, {"FRMR_SSO_UPSTREAMS_FILE": str(regional)}) as running:
            yield running


def test_the_readme_commands_work_on_the_demo_data_without_variables(demo: Demo, tmp_path: Path) -> None:
    env, cwd = clean_env(), demo.cwd
    out = ok(env, "clients", "add", "emr", "--name", "EMR", "--redirect-uri", "https://emr.example/cb",
             cwd=cwd)
    assert "client secret (shown only now" in out
    listing = ok(env, "clients", "list", cwd=cwd)
    for client in ("demo-web", "demo-spa", "demo-service", "frmr-cabinet", "emr"):
        assert re.search(rf"^{client}\s", listing, re.M), listing
    assert "ES256: new active key" in ok(env, "keys", "rotate", "--alg", "ES256", cwd=cwd)
    assert "previous" in ok(env, "keys", "list", cwd=cwd)
    assert "up to date" in ok(env, "migrate", cwd=cwd)
    persons = yaml.safe_load(DEMO_PERSONS_FILE.read_text(encoding="utf-8"))["persons"][:1]
    records = tmp_path / "persons.json"
    records.write_text(json.dumps(persons, ensure_ascii=False, default=str), encoding="utf-8")
    ok(env, "registry", "import", str(records), cwd=cwd)
    assert "had no authenticator" in ok(env, "2fa", "reset", "nobody", cwd=cwd)
    assert ok(env, "audit", "verify", cwd=cwd).startswith("chain intact: ")
    assert "removed" in ok(env, "clients", "remove", "emr", cwd=cwd)
    # The demo keeps locks inside its process: the command says where to lift them instead.
    unlock = run(env, "unlock", "--client", "demo-web", cwd=cwd)
    assert "use POST /api/v1/admin/unlock" in one_line_error(unlock, 1)


def test_config_check_reaches_the_mock_esia_and_the_added_provider(demo: Demo) -> None:
    result = run(clean_env(), "config", "check", "--timeout", "2", cwd=demo.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    assert re.search(r"^settings\s+ok\s+mode demo, from .*var/demo\.env$", rows["settings"])
    assert re.search(r"\sok\s+.*upstreams\.yaml: esia, regional$", rows["FRMR_SSO_UPSTREAMS_FILE"])
    assert re.search(r"^database\s+ok\s+sqlite, schema at \w+", rows["database"])
    assert re.search(rf"^upstream esia\s+ok\s+JWKS {demo.esia}/aas/oauth2/jwks: [1-9]\d* keys$",
                     rows["upstream esia"])
    assert re.search(r"^upstream regional\s+ok\s+discovery ok, JWKS http://127\.0\.0\.1:\d+/jwks: 1 keys$",
                     rows["upstream regional"])
    assert "Traceback" not in result.stderr


def test_the_demo_offers_the_added_provider_beside_the_mock_esia(demo: Demo) -> None:
    page = httpx.get(f"{demo.broker}/authorize", params={
        "client_id": "demo-web", "response_type": "code", "scope": "openid",
        "redirect_uri": "http://127.0.0.1:9999/callback", "state": "s", "nonce": "n",
    })
    assert page.status_code == 200, page.text
    assert REGIONAL in page.text
    assert "Госуслуги" in page.text


def test_a_configured_environment_never_reads_the_demo_file(demo: Demo) -> None:
    result = run(clean_env(FRMR_SSO_MODE="production"), "clients", "list", cwd=demo.cwd)
    assert "FRMR_SSO_SECRET_KEY is not set" in one_line_error(result)


def test_env_file_option_from_another_folder(demo: Demo, tmp_path: Path) -> None:
    env_file = str(demo.cwd / "var" / "demo.env")
    assert "demo-web" in ok(clean_env(), "--env-file", env_file, "clients", "list", cwd=tmp_path)
    assert run(clean_env(), "clients", "list", cwd=tmp_path).returncode == 2  # no demo here: production
    missing = run(clean_env(), "--env-file", str(tmp_path / "absent.env"), "clients", "list", cwd=tmp_path)
    assert one_line_error(missing).startswith("frmr-sso: --env-file: cannot read ")
