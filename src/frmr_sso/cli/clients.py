"""``frmr-sso clients add|list|remove``: the downstream clients (relying parties) of the broker."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from frmr_sso.cli.common import admin_audit, fail, print_table, with_engine
from frmr_sso.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from frmr_sso.oauth.client_service import ClientService
    from frmr_sso.oauth.client_specs import ClientSpec


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clients = sub.add_parser("clients", help="register, list and remove downstream clients")
    clients_sub = clients.add_subparsers(dest="action", required=True)
    add = clients_sub.add_parser("add", help="register a client (a generated secret is printed once)")
    add.add_argument("client_id")
    add.add_argument("--name", required=True)
    add.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    add.add_argument("--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris")
    kind = add.add_mutually_exclusive_group()
    kind.add_argument("--public", action="store_true", help="no secret; PKCE S256 required")
    kind.add_argument("--secret", help="the client secret ('-' reads it from stdin); default: generated")
    add.add_argument("--grant-type", action="append", default=[], dest="grant_types",
                     choices=["authorization_code", "refresh_token", "client_credentials"])
    add.add_argument("--scope", action="append", default=[], dest="scopes", help="repeatable; spaces split")
    add.add_argument("--id-token-alg", default="RS256", choices=["RS256", "ES256"])
    add.add_argument("--backchannel-logout-uri", default=None)
    add.add_argument("--require-second-factor", action="store_true", help="logins ask for the broker TOTP")
    add.add_argument("--no-refresh-rotation", action="store_false", dest="refresh_rotation",
                     help="the refresh token serves again instead of rotating (confidential clients)")
    add.add_argument("--refresh-grace", type=int, default=5, metavar="SECONDS",
                     help="0-60: a rotated-away refresh token still returns its successor (default 5)")
    add.add_argument("--access-token-format", default="jwt", choices=["jwt", "opaque"],
                     help="jwt: RFC 9068 JWT (default); opaque: a short handle, introspected at the broker")
    add.add_argument("--first-party", action="store_true",
                     help="the broker's own app (the cabinet): may hold account.sessions and frmr.documents")
    clients_sub.add_parser("list", help="registered clients (never their secrets)")
    remove = clients_sub.add_parser("remove", help="delete a client")
    remove.add_argument("client_id")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 done; 1 no such client to remove or the store failed; 2 bad options or a taken client_id."""
    from frmr_sso.bootstrap.commands import command_clients

    spec: ClientSpec | None = None
    if args.action == "add":
        built = _spec(args, production=not settings.is_demo)
        if isinstance(built, str):
            return fail(built, 2)
        spec = built

    async def action(engine: AsyncEngine) -> int:
        service = command_clients(engine)
        if args.action == "list":
            return await _list(service)
        if args.action == "remove":
            if await service.remove(args.client_id):
                await admin_audit(engine, "CLIENT_REMOVED", "clients remove", client_id=args.client_id)
                print(f"client {args.client_id!r} removed")
                return 0
            return fail(f"no client {args.client_id!r}")
        assert spec is not None
        return await _add(engine, service, spec, generated=not args.public and args.secret is None)

    return with_engine(settings, action)


def _spec(args: argparse.Namespace, *, production: bool) -> ClientSpec | str:
    """The client of the options, or what is wrong with them (one line)."""
    from frmr_sso.oauth.client_specs import ClientSpec, production_problems
    from frmr_sso.security.secrets import generate_client_secret

    secret = None if args.public else args.secret
    if secret == "-":  # noqa: S105 - "read it from stdin"
        secret = sys.stdin.readline().rstrip("\r\n")
    requested = tuple(s for value in args.scopes for s in value.split()) or ("openid",)
    spec = ClientSpec(
        client_id=args.client_id, name=args.name, redirect_uris=tuple(args.redirect_uris),
        public=args.public, secret=generate_client_secret() if not args.public and secret is None else secret,
        grant_types=tuple(args.grant_types) or ("authorization_code",), scopes=requested,
        post_logout_redirect_uris=tuple(args.post_logout_uris), id_token_alg=args.id_token_alg,
        backchannel_logout_uri=args.backchannel_logout_uri,
        require_second_factor=args.require_second_factor, first_party=args.first_party,
        refresh_rotation=args.refresh_rotation, refresh_grace=args.refresh_grace,
        access_token_format=args.access_token_format,
    )
    problems = spec.problems() + (production_problems(spec) if production else [])
    return "; ".join(problems) if problems else spec


async def _list(service: ClientService) -> int:
    rows: list[tuple[str, ...]] = [("client_id", "type", "grant types", "scopes", "redirect URIs")]
    for c in await service.list():
        kind = "public" if c.public else "confidential"
        grants, scopes, uris = ",".join(c.grant_types), " ".join(c.scopes), " ".join(c.redirect_uris)
        rows.append((c.client_id, kind, grants, scopes, uris))
    print_table(rows)
    return 0


async def _add(engine: AsyncEngine, service: ClientService, spec: ClientSpec, *, generated: bool) -> int:
    from frmr_sso.storage.errors import StorageConflict

    try:
        client = await service.add(spec)
    except StorageConflict:
        return fail(f"client_id {spec.client_id!r} is already registered "
                    f"(frmr-sso clients remove {spec.client_id} first to replace it)", 2)
    details = {"public": client.public, "grant_types": list(spec.grant_types)}
    await admin_audit(engine, "CLIENT_ADDED", "clients add", client_id=client.client_id, details=details)
    print(f"client {client.client_id!r} added ({'public' if client.public else 'confidential'})")
    if generated:
        print(f"client secret (shown only now, store it safely): {spec.secret}")
    return 0
