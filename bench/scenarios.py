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
from report import Row, at_least, per_cpu_at_least
from servers import Servers
from tokens import (
    NODE_SERVICE,
    NODE_WEB,
    OPAQUE_SERVICE,
    SERVICE_ID,
    SERVICE_SECRET,
    WEB_ID,
    WEB_OPAQUE,
    WEB_OPAQUE_ES256,
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
    refill: Callable[[], None] | None = None  # fresh one-use tokens before the profile's second run
    profile_name: str = ""  # bench/results/profile-<name>.folded; the key when empty


# The refresh rows, each with its frmr-sso client and its own slice of node's refresh tokens:
# demo-web (JWT access token + RS256 ID Token: two RSA signatures), demo-web-opaque (opaque access
# token + RS256 ID Token: one RSA signature, like node's default) and demo-web-opaque-es256 (opaque +
# an ES256 ID Token). Node answers each with its opaque access token and an RS256 ID Token.
REFRESH_CLIENTS = {"jwt": (WEB_ID, WEB_SECRET), "opaque": WEB_OPAQUE, "opaque_es256": WEB_OPAQUE_ES256}


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
    refresh_files: dict[str, tuple[Path, Path]]  # per REFRESH_CLIENTS key: frmr-sso's and node's tokens


def refill_refresh_tokens(
    servers: Servers, args: argparse.Namespace, path: Path, client: tuple[str, str] = (WEB_ID, WEB_SECRET)
) -> str:
    """Fresh frmr-sso refresh tokens of ``client`` into ``path``; returns an end-user access token."""
    refresh, access = mint_broker_refresh_tokens(
        servers.broker, servers.redis_url, max(4 * args.connections, 256), client
    )
    path.write_text("\n".join(refresh) + "\n")
    return access


def _refresh_files(servers: Servers, args: argparse.Namespace, tmp: Path) -> dict[str, tuple[Path, Path]]:
    """Per refresh row, fresh refresh tokens of its frmr-sso client and an equal slice of node's."""
    node_tokens = servers.node_tokens.read_text().split()
    per_row = len(node_tokens) // len(REFRESH_CLIENTS)
    files: dict[str, tuple[Path, Path]] = {}
    for n, (key, client) in enumerate(REFRESH_CLIENTS.items()):
        frmr_file, node_file = tmp / f"frmr-refresh-{key}.txt", tmp / f"node-refresh-{key}.txt"
        refill_refresh_tokens(servers, args, frmr_file, client)
        node_file.write_text("\n".join(node_tokens[n * per_row : (n + 1) * per_row]) + "\n")
        files[key] = (frmr_file, node_file)
    return files


def prepare(servers: Servers, args: argparse.Namespace, tmp: Path) -> Context:
    svc, node_svc = basic(SERVICE_ID, SERVICE_SECRET), basic(*NODE_SERVICE)
    frmr_cc_token = client_credentials(f"{servers.broker}/token", svc)
    opaque_svc = basic(*OPAQUE_SERVICE)
    frmr_opaque = client_credentials(f"{servers.broker}/token", opaque_svc)
    node_opaque = client_credentials(f"{servers.node}/token", node_svc, "frmr")
    frmr_access = refill_refresh_tokens(servers, args, tmp / "frmr-refresh-userinfo.txt")
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
        node_user_access, _refresh_files(servers, args, tmp),
    )


def refresh_scenario(ctx: Context, key: str, label: str) -> Scenario:
    """One refresh row: ``key`` of REFRESH_CLIENTS against node's refresh with its defaults."""
    s, args = ctx.servers, ctx.args
    client = REFRESH_CLIENTS[key]
    frmr_file, node_file = ctx.refresh_files[key]

    def refill() -> None:
        refill_refresh_tokens(s, args, frmr_file, client)

    return Scenario(
        "refresh",
        f"refresh_token ({key})",
        lambda: Row(
            label,
            wrk(
                f"{s.broker}/token",
                "refresh.lua",
                {"BENCH_BASIC": basic(*client), "BENCH_TOKENS_FILE": str(frmr_file)},
                s.frmr_proc,
                args,
            ),
            wrk(
                f"{s.node}/token",
                "refresh.lua",
                {"BENCH_BASIC": basic(*NODE_WEB), "BENCH_TOKENS_FILE": str(node_file)},
                s.node_proc,
                args,
            ),
            target="≥ 1.0× node",
            target_check=at_least(1.0),
        ),
        refill=refill,
        profile_name="refresh" if key == "jwt" else f"refresh-{key}",
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
        refresh_scenario(
            ctx,
            "jwt",
            "refresh_token with rotation `POST /token` (frmr: `demo-web`, JWT access token + RS256 ID Token, "
            "PostgreSQL; node: opaque + RS256 ID Token, in-memory adapter)",
        ),
        refresh_scenario(
            ctx,
            "opaque",
            "refresh_token with rotation, opaque access tokens (frmr: `demo-web-opaque`, RS256 ID Token, "
            "PostgreSQL + Redis; node: the same, in-memory adapter)",
        ),
        refresh_scenario(
            ctx,
            "opaque_es256",
            "refresh_token with rotation, opaque access tokens (frmr: `demo-web-opaque-es256`, **ES256** ID "
            "Token; node: RS256 ID Token)",
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
            target="≥ 150 per broker CPU-s",
            target_check=per_cpu_at_least(150),
            vs_ceiling=False,
        ),
    )
