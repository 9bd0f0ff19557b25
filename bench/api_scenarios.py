"""The FRMR registry API under load (frmr-sso only: node-oidc-provider has no counterpart).

* ``POST /api/v1/registry/lookup`` by FRMR id with a client_credentials token of
  ``demo-service`` (scope ``frmr.registry.read``); every lookup writes an audit record;
* ``GET /api/v1/me`` (the worker's whole record) and ``GET /api/v1/me/length-of-service``
  with a worker's access token (scope ``openid frmr``) whose login was mapped to the demo
  doctor's record (``tokens.mint_worker_access_token``).

Each scenario mints its token just before the run and sends one request first: a token the
API refuses stops the run instead of measuring error answers.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from load import Result, wrk
from report import Row, per_cpu_at_least
from scenarios import Context, Scenario
from tokens import WORKER_FRMR_ID, client_credentials, mint_worker_access_token

LOOKUP_BODY = json.dumps({"frmr_id": WORKER_FRMR_ID})


def _answers_200(url: str, token: str, body: str | None = None) -> None:
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            status = response.status
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}: {exc.read()[:500]!r}") from None
    if status != 200:
        raise RuntimeError(f"{url} answered {status}")


def _lookup(ctx: Context) -> Result:
    broker = ctx.servers.broker
    token = client_credentials(f"{broker}/token", ctx.svc, "frmr.registry.read")
    url = f"{broker}/api/v1/registry/lookup"
    _answers_200(url, token, LOOKUP_BODY)
    env = {"BENCH_TOKEN": token, "BENCH_BODY": LOOKUP_BODY}
    return wrk(url, "json_post.lua", env, ctx.servers.frmr_proc, ctx.args)


def _worker_get(ctx: Context, path: str) -> Callable[[], Result]:
    def run() -> Result:
        broker = ctx.servers.broker
        token = mint_worker_access_token(broker, ctx.servers.redis_url)
        _answers_200(f"{broker}{path}", token)
        return wrk(f"{broker}{path}", "bearer.lua", {"BENCH_TOKEN": token}, ctx.servers.frmr_proc, ctx.args)

    return run


REGISTRY_TARGET: dict[str, Any] = {
    "target": "≥ 2,000 per CPU-s, no error", "target_check": per_cpu_at_least(2000)
}


def registry_scenarios(ctx: Context) -> list[Scenario]:
    me, service = _worker_get(ctx, "/api/v1/me"), _worker_get(ctx, "/api/v1/me/length-of-service")
    return [
        Scenario(
            "registry",
            "registry lookup",
            lambda: Row(
                "registry lookup `POST /api/v1/registry/lookup` by FRMR id (service token; audited)",
                _lookup(ctx),
                **REGISTRY_TARGET,
            ),
        ),
        Scenario(
            "registry",
            "worker's record",
            lambda: Row("worker's own record `GET /api/v1/me` (every section)", me(), **REGISTRY_TARGET),
        ),
        Scenario(
            "registry",
            "length of service",
            lambda: Row(
                "length of service `GET /api/v1/me/length-of-service`", service(), **REGISTRY_TARGET
            ),
        ),
    ]
