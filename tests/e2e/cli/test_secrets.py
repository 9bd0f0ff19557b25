"""``frmr-sso secrets reseal`` as an operator runs it, beside a ``frmr-sso serve`` that keeps issuing tokens.

The rotation as README describes it: the new secret in FRMR_SSO_SECRET_KEY, the old one in
FRMR_SSO_PREVIOUS_SECRET_KEYS, restart, reseal, then drop the old one. Real subprocesses on the
configured store backend.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import httpx

from frmr_sso.audit.events import Auditor
from frmr_sso.bootstrap import build_second_factor
from frmr_sso.config import load_settings
from frmr_sso.second_factor import totp
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.sql import SqlAuditRepository, SqlSubjectRepository, create_engine
from tests.e2e.cluster.processes import FRMR_SSO, BrokerProcess

OLD, NEW = "old-secret-key-0123456789-abcdefghijkl", "new-secret-key-0123456789-mnopqrstuvwx"
PEOPLE = 20


def _env(database_url: str, redis_url: str | None, secret: str, *previous: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=database_url, FRMR_SSO_SECRET_KEY=secret,
               FRMR_SSO_PREVIOUS_SECRET_KEYS=json.dumps(list(previous)))
    if redis_url:
        env["FRMR_SSO_REDIS_URL"] = redis_url
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [FRMR_SSO, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _table(out: str) -> dict[str, list[int]]:
    """``kind  resealed  current  changed  unreadable`` rows of the reseal report."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"^(\S.*?)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
        if match:
            rows[match.group(1)] = [int(n) for n in match.groups()[1:]]
    return rows


async def _enrol_under_old(database_url: str, redis_url: str | None) -> None:
    settings = load_settings(mode="demo", database_url=database_url, redis_url=redis_url, secret_key=OLD)
    engine, kv = create_engine(database_url), open_kv(redis_url)
    try:
        _, credentials, _ = build_second_factor(settings, engine, kv, Auditor(SqlAuditRepository(engine)))
        subjects = SqlSubjectRepository(engine)
        for n in range(PEOPLE):
            subject = (await subjects.get_or_create_by_esia_oid(f"oid-{n}")).id
            await credentials.enrol(subject, totp.new_secret(), totp.current_step(time.time()))
    finally:
        await kv.close()
        await engine.dispose()


class _TokenTraffic:
    """client_credentials token requests in a loop, in a thread, until stopped: their statuses."""

    def __init__(self, url: str) -> None:
        self.url, self._stop = url, threading.Event()
        self.statuses: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                answer = http.post(f"{self.url}/token", data={"grant_type": "client_credentials"},
                                   auth=("demo-service", "demo-service-secret"))
                self.statuses.append(answer.status_code)
                time.sleep(0.02)

    def __enter__(self) -> _TokenTraffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


async def _reseal_audit_records(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        records = await SqlAuditRepository(engine).list()
    finally:
        await engine.dispose()
    return repr([r for r in records if r.event_type == "admin.secrets_resealed"])


def test_rotate_reseal_while_serving_then_drop_the_old_key(
    migrated_database_url: str, redis_url: str | None, tmp_path: Path
) -> None:
    url = migrated_database_url
    old = _env(url, redis_url, OLD)
    assert _cli(old, "keys", "rotate").returncode == 0  # both signing keys, sealed under the old secret
    asyncio.run(_enrol_under_old(url, redis_url))

    too_early = _cli(_env(url, redis_url, NEW), "secrets", "reseal")  # the old key forgotten too soon
    assert too_early.returncode == 1
    assert "FRMR_SSO_PREVIOUS_SECRET_KEYS" in too_early.stderr
    assert _table(too_early.stdout)["signing keys"] == [0, 0, 0, 2]

    rotated = _env(url, redis_url, NEW, OLD)
    serving = {**rotated, "FRMR_SSO_KEY_REFRESH_INTERVAL": "0.5", "FRMR_SSO_RATE_LIMIT_TOKEN_PER_MINUTE": "0"}
    broker = BrokerProcess("rotated", serving, tmp_path)
    broker.start()
    try:
        with _TokenTraffic(broker.url) as traffic:
            while len(traffic.statuses) < 3:
                time.sleep(0.05)
            before = len(traffic.statuses)
            resealed = _cli(rotated, "secrets", "reseal", "--batch", "3")
            during = len(traffic.statuses) - before
            time.sleep(1.5)  # instances reload the resealed keys
        assert resealed.returncode == 0, resealed.stderr
        assert _table(resealed.stdout) == {  # no statement was ever signed: no signer key yet
            "signing keys": [2, 0, 0, 0], "TOTP secrets": [PEOPLE, 0, 0, 0], "statement signing key": [0] * 4
        }
        assert during > 0
        assert set(traffic.statuses) == {200}, traffic.statuses
    finally:
        broker.stop()

    again = _cli(rotated, "secrets", "reseal")
    assert again.returncode == 0
    assert _table(again.stdout)["TOTP secrets"] == [0, PEOPLE, 0, 0]

    new_only = _env(url, redis_url, NEW)
    broker = BrokerProcess("new-only", new_only, tmp_path)
    broker.start()  # the signing keys open under the new secret alone
    try:
        answer = httpx.post(f"{broker.url}/token", data={"grant_type": "client_credentials"},
                            auth=("demo-service", "demo-service-secret"), timeout=10)
        assert answer.status_code == 200, answer.text
    finally:
        broker.stop()
    final = _cli(new_only, "secrets", "reseal")
    assert final.returncode == 0
    assert _table(final.stdout)["signing keys"] == [0, 2, 0, 0]

    audited = asyncio.run(_reseal_audit_records(url))
    assert audited.count("admin.secrets_resealed") == 4
    assert OLD not in audited
    assert NEW not in audited
