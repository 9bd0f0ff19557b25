"""Starts everything a benchmark run loads, on free 127.0.0.1 ports, and waits until it answers.

PostgreSQL and Redis (``stack``); the mock ESIA with the broker registered as ``FRMR01`` and one
account per virtual browser (``accounts``); frmr-sso in demo mode on PostgreSQL + Redis with the
per-IP rate limits off (every request comes from 127.0.0.1); node-oidc-provider; the bare
FastAPI ceiling. Servers under test on ``SERVER_CPU``, the rest on ``LOAD_CPU``.
"""

from __future__ import annotations

import argparse
import json
import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from accounts import write_accounts
from stack import (
    BENCH,
    LOAD_CPU,
    Proc,
    Stack,
    free_port,
    log,
    start_postgres,
    start_redis,
    uvicorn,
    wait_until,
)


@dataclass(frozen=True)
class Servers:
    broker: str  # frmr-sso's base URL
    esia: str  # the mock ESIA's base URL
    node: str  # node-oidc-provider's base URL
    ceiling: str  # the ceiling's base URL
    frmr_proc: Proc
    node_proc: Proc
    ceiling_proc: Proc
    redis_url: str
    database_url: str
    node_tokens: Path  # node's fresh refresh tokens, one a line
    logins_file: Path  # the login driver's accounts


def _upstreams(stack: Stack, esia: str) -> Path:
    """The broker's ESIA client key and its upstreams file naming the mock ESIA."""
    from frmr_sso.demo import certificate_hash
    from frmr_sso.upstream.esia_signer import RsaSecretSigner

    signer = RsaSecretSigner.generate()
    key_file = stack.tmp / "esia-client-key.pem"
    key_file.write_bytes(signer.private_key_pem())
    upstream = {
        "name": "esia",
        "type": "esia",
        "display_name": "ESIA (mock)",
        "base_url": esia,
        "issuer": f"{esia}/",
        "client_id": "FRMR01",
        "certificate_hash": certificate_hash(signer),
        "signer": {"kind": "rsa", "key_file": str(key_file)},
        "scopes": ["openid", "fullname", "birthdate", "gender", "snils"],
    }
    upstreams = stack.tmp / "upstreams.yaml"
    upstreams.write_text(json.dumps({"upstreams": [upstream]}), encoding="utf-8")  # JSON is YAML
    return key_file


def _ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
        return bool(r.status == 200)


def _listening(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), 1).close()
    return True


def start_servers(stack: Stack, args: argparse.Namespace) -> Servers:
    tmp = stack.tmp
    pg_port, redis_port = start_postgres(stack), start_redis(stack)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{pg_port}/postgres"
    log(f"PostgreSQL on 127.0.0.1:{pg_port}, Redis on 127.0.0.1:{redis_port}, temp dir {tmp}")

    broker_port, esia_port, node_port, ceiling_port = free_port(), free_port(), free_port(), free_port()
    broker, esia = f"http://127.0.0.1:{broker_port}", f"http://127.0.0.1:{esia_port}"
    key_file = _upstreams(stack, esia)
    accounts_file, logins_file = write_accounts(tmp, args.login_concurrency)
    mock = stack.start(
        "mock-esia",
        uvicorn("apps:mock_esia", esia_port, factory=True),
        cpu=LOAD_CPU,
        env={
            "BENCH_ESIA_KEY": str(key_file),
            "BENCH_BROKER_URL": broker,
            "MOCK_ESIA_BASE_URL": esia,
            "MOCK_ESIA_ISSUER": f"{esia}/",
            "MOCK_ESIA_PORT": str(esia_port),
            "MOCK_ESIA_LOG_LEVEL": "WARNING",
            "MOCK_ESIA_TOKEN_ALG": "RS256",
            "MOCK_ESIA_ACCOUNTS_FILE": str(accounts_file),
        },
    )
    # Production-like except FRMR_SSO_MODE=demo (seeds the demo clients and runs migrations) and the
    # per-IP rate limits, turned off: every request comes from 127.0.0.1.
    broker_env = {
        "FRMR_SSO_MODE": "demo",
        "FRMR_SSO_ISSUER": broker,
        "FRMR_SSO_PORT": str(broker_port),
        "FRMR_SSO_DATABASE_URL": database_url,
        "FRMR_SSO_REDIS_URL": redis_url,
        "FRMR_SSO_UPSTREAMS_FILE": str(tmp / "upstreams.yaml"),
        "FRMR_SSO_LOG_LEVEL": "WARNING",
        "FRMR_SSO_RATE_LIMIT_AUTHORIZE_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_CALLBACK_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
        "FRMR_SSO_RATE_LIMIT_SECOND_FACTOR_PER_MINUTE": "0",
        "FRMR_SSO_LOCKOUT_IP_MAX_FAILURES": "100000",
    }
    frmr = stack.start("frmr-sso", uvicorn("apps:broker", broker_port, factory=True), env=broker_env)
    node_tokens = tmp / "node-refresh-tokens.txt"
    node = stack.start(
        "node-oidc-provider",
        ["node", str(BENCH / "node" / "server.mjs"), str(node_port), str(node_tokens)],
        # one slice of the tokens per refresh row (scenarios.REFRESH_CLIENTS), 1 for the userinfo token
        env={"BENCH_REFRESH_TOKENS": str(3 * max(4 * args.connections, 256) + 1), "NODE_ENV": "production"},
        cwd=BENCH / "node",
    )
    ceiling = stack.start("ceiling", uvicorn("ceiling:app", ceiling_port, factory=False))
    nd, top = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{ceiling_port}"

    wait_until("frmr-sso", lambda: _ok(f"{broker}/health/ready"), frmr)
    wait_until("mock ESIA", lambda: _listening(esia_port), mock)
    wait_until(
        "node-oidc-provider",
        lambda: node_tokens.exists() and node_tokens.stat().st_size > 0 and _ok(f"{nd}/jwks"),
        node,
    )
    wait_until("ceiling", lambda: _ok(f"{top}/ping"), ceiling)
    time.sleep(1)  # node writes the tokens file in one call; let it finish
    log("all servers up")
    return Servers(
        broker, esia, nd, top, frmr, node, ceiling, redis_url, database_url, node_tokens, logins_file
    )
