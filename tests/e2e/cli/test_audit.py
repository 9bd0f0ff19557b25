"""``frmr-sso audit verify`` and ``frmr-sso audit purge`` as an operator runs them: real subprocesses,
on the configured backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from frmr_sso.storage.sql import SqlAuditRepository, create_engine
from tests.integration.audit.support import event, tamper

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


@pytest.fixture
def env(migrated_database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=migrated_database_url)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [FRMR_SSO, "audit", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in result.stderr
    return result


async def _append(url: str, count: int, *, age: timedelta = timedelta(0)) -> list[int]:
    engine = create_engine(url)
    try:
        repo = SqlAuditRepository(engine)
        return [(await repo.append(event(n, age=age))).id or 0 for n in range(count)]
    finally:
        await engine.dispose()


async def _tamper(url: str, statement: str, **params: object) -> None:
    engine = create_engine(url)
    try:
        await tamper(engine, statement, **params)
    finally:
        await engine.dispose()


async def test_verify_an_empty_and_an_intact_chain(env: dict[str, str]) -> None:
    result = run(env, "verify")
    assert (result.returncode, result.stdout) == (0, "chain intact: 0 records\n")
    ids = await _append(env["FRMR_SSO_DATABASE_URL"], 12)
    result = run(env, "verify", "--batch", "5")
    assert result.returncode == 0, result.stderr
    assert f"chain intact: 12 records (ids {ids[0]}..{ids[-1]}, from genesis)" in result.stdout
    assert re.search(rf"head: record {ids[-1]} hash [0-9a-f]{{64}}", result.stdout)


async def test_verify_names_an_edited_record(env: dict[str, str]) -> None:
    url = env["FRMR_SSO_DATABASE_URL"]
    ids = await _append(url, 8)
    await _tamper(url, "UPDATE audit_events SET client_id = 'other' WHERE id = :id", id=ids[5])
    result = run(env, "verify")
    assert result.returncode == 1
    assert result.stdout.startswith(f"chain broken at record {ids[5]}: hash mismatch")
    assert "5 records verified before it" in result.stdout


async def test_verify_names_the_record_after_a_deleted_one(env: dict[str, str]) -> None:
    url = env["FRMR_SSO_DATABASE_URL"]
    ids = await _append(url, 8)
    await _tamper(url, "DELETE FROM audit_events WHERE id = :id", id=ids[2])
    result = run(env, "verify")
    assert result.returncode == 1
    assert result.stdout.startswith(f"chain broken at record {ids[3]}: prev_hash does not match")


async def test_purge_then_verify(env: dict[str, str]) -> None:
    url = env["FRMR_SSO_DATABASE_URL"]
    old = await _append(url, 5, age=timedelta(days=400))
    await _append(url, 3)
    result = run(env, "purge", "--older-than", "365", "--batch", "2")
    assert result.returncode == 0, result.stderr
    assert re.match(r"purged 5 records older than \S+ in 3 batches\n", result.stdout)
    assert f"the chain now starts after record {old[-1]}" in result.stdout
    verified = run(env, "verify")
    assert verified.returncode == 0, verified.stdout
    assert "chain intact: 6 records" in verified.stdout  # 3 kept + 3 checkpoints
    assert "from purge checkpoint" in verified.stdout
    again = run(env, "purge", "--older-than", "365")
    assert again.stdout.startswith("purged 0 records")


@pytest.mark.parametrize(
    "args",
    [("purge",), ("purge", "--older-than", "0"), ("purge", "--older-than", "x"),
     ("verify", "--batch", "0"), ("purge", "--older-than", "1", "--batch", "100000")],
)
def test_bad_arguments_exit_2(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = run(env, *args)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()  # one line naming the argument, not the usage text
    assert line.startswith("frmr-sso audit ")
    assert line.endswith(" --help)")


def test_an_unmigrated_database_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env | {"FRMR_SSO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}, "verify")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "frmr-sso: the database of FRMR_SSO_DATABASE_URL has no schema yet; run `frmr-sso migrate`"
    )
