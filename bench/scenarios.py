"""The scenarios frmr-sso and node-oidc-provider both serve, and the brokered login.

``prepare`` mints the tokens the scenarios send (``tokens``); each ``Scenario`` runs wrk
against frmr-sso and then node and returns one table row. The registry API rows, which
node has no counterpart of, are in ``api_scenarios``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from load import login_run, wrk
from report import Row, at_least
from servers import Servers
from tokens import (
    NODE_SERVICE,
    NODE_WEB,
    OPAQUE_SERVICE,
    SERVICE_ID,
    SERVICE_SECRET,
    WEB_ID,
    WEB_SECRET,
    basic,
    client_credentials,
    http,
    mint_broker_refresh_tokens,
)


@dataclass(frozen=True)
class Scenario:
    key: str  # the --only / --profile key
    label: str  # the log line
    run: Callable[[], Row]


@dataclass(frozen=True)
class Context:
    servers: Servers
    args: argparse.Namespace
    svc: str  # Basic credentials of demo-service
    node_svc: str  # Basic credentials of bench-service
    frmr_cc_token: str  # a client_credentials JWT of demo-service
    opaque_svc: str  # Basic credentials of demo-service-opaque
    frmr_opaque: str  # an opaque client_credentials token of demo-service-opaque
    node_opaque: str  # an opaque client_credentials token of bench-service
    frmr_access: str  # an end-user access token of demo-web
    node_user_access: str  # an end-user access token of bench-web
    frmr_refresh_file: Path  # frmr-sso's fresh refresh tokens, one a line


def refill_refresh_tokens(servers: Servers, args: argparse.Namespace, path: Path) -> str:
    """Fresh frmr-sso refresh tokens into ``path``; returns an end-user access token."""
    refresh, access = mint_broker_refresh_tokens(
        servers.broker, servers.redis_url, max(4 * args.connections, 256)
    )
    path.write_text("\n".join(refresh) + "\n")
    return access


def prepare(servers: Servers, args: argparse.Namespace, tmp: Path) -> Context:
    svc, node_svc = basic(SERVICE_ID, SERVICE_SECRET), basic(*NODE_SERVICE)
    frmr_cc_token = client_credentials(f"{servers.broker}/token", svc)
    opaque_svc = basic(*OPAQUE_SERVICE)
    frmr_opaque = client_credentials(f"{servers.broker}/token", opaque_svc)
    node_opaque = client_credentials(f"{servers.node}/token", node_svc, "frmr")
    refresh_file = tmp / "frmr-refresh-tokens.txt"
    frmr_access = refill_refresh_tokens(servers, args, refresh_file)
    node_tokens = servers.node_tokens
    node_refresh_first = node_tokens.read_text().split()[0]
    node_user_access = http(
        "POST",
        f"{servers.node}/token",
        {"grant_type": "refresh_token", "refresh_token": node_refresh_first},
        basic(*NODE_WEB),
    )["access_token"]
    # The first node token is used now; rotation gave a new one, so drop it from the wrk file.
    node_tokens.write_text("\n".join(node_tokens.read_text().split()[1:]) + "\n")
    return Context(
        servers, args, svc, node_svc, frmr_cc_token, opaque_svc, frmr_opaque, node_opaque, frmr_access,
        node_user_access, refresh_file,
    )


def oidc_scenarios(ctx: Context) -> list[Scenario]:
    s, args = ctx.servers, ctx.args
    broker, nd, frmr, node = s.broker, s.node, s.frmr_proc, s.node_proc
    return [
        Scenario(
            "cc",
            "client_credentials",
            lambda: Row(
                "client_credentials `POST /token` (frmr: JWT RS256; node: JWT RS256 via resource indicator)",
                wrk(f"{broker}/token", "client_credentials.lua", {"BENCH_BASIC": ctx.svc}, frmr, args),
                wrk(
                    f"{nd}/token",
                    "client_credentials.lua",
                    {"BENCH_BASIC": ctx.node_svc, "BENCH_BODY": "&scope=frmr&resource=urn%3Abench%3Aapi"},
                    node,
                    args,
                ),
                target="≥ 1.3× node",
                target_check=at_least(1.3),
            ),
        ),
        Scenario(
            "cc",
            "client_credentials (opaque)",
            lambda: Row(
                "client_credentials, opaque tokens (frmr: `demo-service-opaque`, record in Redis; node: its "
                "default, in-memory store)",
                wrk(f"{broker}/token", "client_credentials.lua", {"BENCH_BASIC": ctx.opaque_svc}, frmr, args),
                wrk(
                    f"{nd}/token",
                    "client_credentials.lua",
                    {"BENCH_BASIC": ctx.node_svc, "BENCH_BODY": "&scope=frmr"},
                    node,
                    args,
                ),
                target="≥ 1.0× node",
                target_check=at_least(1.0),
            ),
        ),
        Scenario(
            "refresh",
            "refresh_token",
            lambda: Row(
                "refresh_token with rotation `POST /token` (frmr: PostgreSQL; node: in-memory adapter)",
                wrk(
                    f"{broker}/token",
                    "refresh.lua",
                    {
                        "BENCH_BASIC": basic(WEB_ID, WEB_SECRET),
                        "BENCH_TOKENS_FILE": str(ctx.frmr_refresh_file),
                    },
                    frmr,
                    args,
                ),
                wrk(
                    f"{nd}/token",
                    "refresh.lua",
                    {"BENCH_BASIC": basic(*NODE_WEB), "BENCH_TOKENS_FILE": str(s.node_tokens)},
                    node,
                    args,
                ),
                target="≥ 1.0× node",
                target_check=at_least(1.0),
            ),
        ),
        Scenario(
            "introspect",
            "introspection",
            lambda: Row(
                "introspection `POST /introspect` of a client_credentials token (frmr: JWT; node: opaque)",
                wrk(
                    f"{broker}/introspect",
                    "introspect.lua",
                    {"BENCH_BASIC": ctx.svc, "BENCH_TOKEN": ctx.frmr_cc_token},
                    frmr,
                    args,
                ),
                wrk(
                    f"{nd}/token/introspection",
                    "introspect.lua",
                    {"BENCH_BASIC": ctx.node_svc, "BENCH_TOKEN": ctx.node_opaque},
                    node,
                    args,
                ),
                target="≥ 1.2× node",
                target_check=at_least(1.2),
            ),
        ),
        Scenario(
            "introspect",
            "introspection (opaque)",
            lambda: Row(
                "introspection `POST /introspect` of an opaque client_credentials token (both opaque)",
                wrk(
                    f"{broker}/introspect",
                    "introspect.lua",
                    {"BENCH_BASIC": ctx.svc, "BENCH_TOKEN": ctx.frmr_opaque},
                    frmr,
                    args,
                ),
                wrk(
                    f"{nd}/token/introspection",
                    "introspect.lua",
                    {"BENCH_BASIC": ctx.node_svc, "BENCH_TOKEN": ctx.node_opaque},
                    node,
                    args,
                ),
                target="≥ 1.2× node",
                target_check=at_least(1.2),
            ),
        ),
        Scenario(
            "userinfo",
            "userinfo",
            lambda: Row(
                "userinfo `GET` with a Bearer access token",
                wrk(f"{broker}/userinfo", "bearer.lua", {"BENCH_TOKEN": ctx.frmr_access}, frmr, args),
                wrk(f"{nd}/me", "bearer.lua", {"BENCH_TOKEN": ctx.node_user_access}, node, args),
                target="≥ 1.0× node",
                target_check=at_least(1.0),
            ),
        ),
        Scenario(
            "discovery",
            "discovery",
            lambda: Row(
                "discovery `GET /.well-known/openid-configuration`",
                wrk(f"{broker}/.well-known/openid-configuration", "get.lua", {}, frmr, args),
                wrk(f"{nd}/.well-known/openid-configuration", "get.lua", {}, node, args),
            ),
        ),
        Scenario(
            "jwks",
            "JWKS",
            lambda: Row(
                "JWKS `GET /jwks`",
                wrk(f"{broker}/jwks", "get.lua", {}, frmr, args),
                wrk(f"{nd}/jwks", "get.lua", {}, node, args),
            ),
        ),
    ]


def login_scenario(ctx: Context) -> Scenario:
    s = ctx.servers
    return Scenario(
        "login",
        "brokered login",
        lambda: Row(
            "full brokered login (authorize → mock ESIA RS256, password + SMS → callback → token), logins/s",
            login_run(s.broker, s.esia, s.frmr_proc, ctx.args, s.logins_file),
            None,
            target="≥ 200 /s per broker process",
            target_check=lambda r: None if r.frmr is None else r.frmr.per_cpu >= 200,
            vs_ceiling=False,
        ),
    )
