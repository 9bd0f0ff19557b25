"""Scale figures: SNILS lookup and login time as the registry and the audit log grow, Redis memory per
SSO session. Run through ``bench/scale/run.sh``; never part of CI (minutes of data generation).

On a throw-away PostgreSQL and Redis (started with bench/stack.py's helpers, durable settings off as
in scripts/test.sh), with the broker (uvicorn, 1 worker, core 0) and the mock ESIA (core 1):

1. stages (persons, audit records): (0, 0), (100 000, 0), (1 000 000, 0), (1 000 000, 1 000 000),
   (1 000 000, 10 000 000) — rows generated in SQL (``generate.py``);
2. per stage: ``--lookups`` SNILS lookups through ``SqlRegistryRepository.find_by_snils`` and through
   the login's mapping step ``login.mapping.find_person`` (random generated SNILS: hits; misses at 0
   persons), then ``--logins`` sequential full logins over HTTP (authorize → mock ESIA pages →
   callback → token, bench/login_driver.py); p50/p99 of each, and the tables' size on disk;
3. Redis: ``INFO memory`` before and after 1 000, 10 000 and 100 000 sessions made by
   ``SessionStore.create`` with a real login's claims (in a database of their own).

Prints a JSON document and writes it to ``bench/scale/results/scale-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import generate  # noqa: E402 - bench/scale on the path first
import login_driver  # noqa: E402
import sessions  # noqa: E402
import stack as bench  # noqa: E402 - bench/stack.py: processes, PostgreSQL, Redis, ports
import tokens  # noqa: E402 - bench/tokens.py: http

STAGES = ((0, 0), (100_000, 0), (1_000_000, 0), (1_000_000, 1_000_000), (1_000_000, 10_000_000))
DOCTOR, PASSWORD = "+79990000001", "Vrach-2026-Demo!"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {
        "n": len(ordered),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> dict[str, float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


async def lookups(database_url: str, persons: int, count: int) -> dict[str, Any]:
    from frmr_sso.identity.snils import Snils
    from frmr_sso.login.mapping import NoFrmrRecord, find_person
    from frmr_sso.storage.sql import SqlRegistryRepository
    from frmr_sso.storage.sql.engine import create_engine
    from frmr_sso.upstream.base import UpstreamIdentity

    engine = create_engine(database_url)
    repository = SqlRegistryRepository(engine)
    rng = random.Random(persons)  # noqa: S311 - a repeatable sample, not a secret
    snils = [generate.snils_of(rng.randint(1, persons or 1_000_000)) for _ in range(count)]

    async def mapped(digits: str) -> None:
        identity = UpstreamIdentity("esia", "1", Snils.parse(digits), trusted=True, trust_level="PR")
        with contextlib.suppress(NoFrmrRecord):  # no record (the 0-person stage)
            await find_person(identity, repository)

    try:
        await repository.find_by_snils(snils[0])  # warm the pool
        found = sum([await repository.find_by_snils(s) is not None for s in snils[:50]])
        return {
            "hits_of_50": found,
            "repository": await timed([lambda s=s: repository.find_by_snils(s) for s in snils]),
            "mapping_step": await timed([lambda s=s: mapped(s) for s in snils]),
        }
    finally:
        await engine.dispose()


async def logins(broker: str, esia: str, count: int) -> dict[str, float]:
    import httpx

    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as browser:
        for _ in range(5):  # warm-up
            await login_driver.one_login(browser, broker, esia, DOCTOR, PASSWORD)
        return await timed([lambda: login_driver.one_login(browser, broker, esia, DOCTOR, PASSWORD)] * count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--max-audit", type=int, default=10_000_000, help="stop the stages at this many")
    args = parser.parse_args()
    stack = bench.Stack(Path(tempfile.mkdtemp(prefix="frmr-sso-scale-")))
    try:
        return asyncio.run(measure(stack, args))
    finally:
        stack.stop()
        shutil.rmtree(stack.tmp, ignore_errors=True)  # the database alone is ~7 GB at 10 M audit records


async def measure(stack: bench.Stack, args: argparse.Namespace) -> int:
    from frmr_sso.storage.sql.engine import create_engine

    pg_port, redis_port = bench.start_postgres(stack), bench.start_redis(stack)
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{pg_port}/postgres"
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    broker, esia = start_servers(stack, database_url, redis_url)
    log(f"servers up: broker {broker}, mock ESIA {esia}")
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "stages": []}
    report["sessions"] = await sessions.session_memory(redis_url)
    log(f"sessions: {report['sessions']['growth']}")
    engine = create_engine(database_url)
    try:
        for persons, audit in STAGES:
            if audit > args.max_audit:
                break
            log(f"stage: {persons:,} persons, {audit:,} audit records")
            generated = {
                "persons_s": round(await generate.grow_persons(engine, persons, log), 1),
                "audit_s": round(await generate.grow_audit(engine, audit, log), 1),
            }
            stage = {
                "persons": persons,
                "audit_records": await generate.count(engine, "audit_events"),
                "generation_seconds": generated,
                "table_bytes": await generate.table_sizes(engine),
                "snils_lookup": await lookups(database_url, persons, args.lookups),
                "login": await logins(broker, esia, args.logins),
            }
            log(json.dumps(stage))
            report["stages"].append(stage)
    finally:
        await engine.dispose()
    out = HERE / "results" / f"scale-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    log(f"written to {out}")
    return 0


def start_servers(stack: bench.Stack, database_url: str, redis_url: str) -> tuple[str, str]:
    """The broker (demo mode: migrations, demo clients and FRMR records) and the mock ESIA that knows it."""
    from frmr_sso.demo import certificate_hash
    from frmr_sso.upstream.esia_signer import RsaSecretSigner

    signer = RsaSecretSigner.generate()
    key_file = stack.tmp / "esia-client-key.pem"
    key_file.write_bytes(signer.private_key_pem())
    broker_port, esia_port = bench.free_port(), bench.free_port()
    broker, esia = f"http://127.0.0.1:{broker_port}", f"http://127.0.0.1:{esia_port}"
    upstream = {
        "name": "esia",
        "type": "esia",
        "base_url": esia,
        "issuer": f"{esia}/",
        "client_id": "FRMR01",
        "certificate_hash": certificate_hash(signer),
        "signer": {"kind": "rsa", "key_file": str(key_file)},
        "scopes": ["openid", "fullname", "birthdate", "gender", "snils"],
    }
    upstreams = stack.tmp / "upstreams.yaml"
    upstreams.write_text(json.dumps({"upstreams": [upstream]}), encoding="utf-8")  # JSON is YAML
    mock = stack.start(
        "mock-esia",
        bench.uvicorn("apps:mock_esia", esia_port, factory=True),
        cpu=bench.LOAD_CPU,
        env={
            "BENCH_ESIA_KEY": str(key_file),
            "BENCH_BROKER_URL": broker,
            "MOCK_ESIA_BASE_URL": esia,
            "MOCK_ESIA_ISSUER": f"{esia}/",
            "MOCK_ESIA_LOG_LEVEL": "WARNING",
        },
    )
    frmr = stack.start(
        "frmr-sso",
        bench.uvicorn("apps:broker", broker_port, factory=True),
        env={
            "FRMR_SSO_MODE": "demo",
            "FRMR_SSO_ISSUER": broker,
            "FRMR_SSO_DATABASE_URL": database_url,
            "FRMR_SSO_REDIS_URL": redis_url,
            "FRMR_SSO_UPSTREAMS_FILE": str(upstreams),
            "FRMR_SSO_LOG_LEVEL": "WARNING",
            "FRMR_SSO_RATE_LIMIT_AUTHORIZE_PER_MINUTE": "0",
            "FRMR_SSO_RATE_LIMIT_CALLBACK_PER_MINUTE": "0",
            "FRMR_SSO_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
        },
    )
    bench.wait_until("frmr-sso", lambda: tokens.http("GET", f"{broker}/health/ready") is not None, frmr)
    bench.wait_until("mock ESIA", lambda: tokens.http("GET", f"{esia}/health") is not None, mock)
    return broker, esia


if __name__ == "__main__":
    sys.exit(main())
