"""``frmr-sso`` command line: parse arguments, call one function, print the result."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.cli_audit import add_audit_parser, run_audit
from frmr_sso.cli_second_factor import add_second_factor_parser, run_second_factor
from frmr_sso.cli_unlock import add_unlock_parser, run_unlock
from frmr_sso.config import ConfigurationError, Settings, check_metrics_port, load_settings
from frmr_sso.errors import FrmrSsoError
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.errors import StorageConflict, StorageError

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    description = "FRMR identity broker (ESIA → OpenID Connect)"
    parser = argparse.ArgumentParser(prog="frmr-sso", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the broker, one process (settings from FRMR_SSO_* variables)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    demo = sub.add_parser("demo", help="run broker and mock ESIA on embedded stores with demo data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--esia-port", type=int, default=8001)
    sub.add_parser("migrate", help="apply database migrations up to the newest")
    _add_admin_parsers(sub)
    add_unlock_parser(sub)
    add_second_factor_parser(sub)
    _add_registry_parser(sub)
    add_audit_parser(sub)
    return parser


def _add_admin_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    clients_sub.add_parser("list", help="registered clients (never their secrets)")
    remove = clients_sub.add_parser("remove", help="delete a client")
    remove.add_argument("client_id")
    keys = sub.add_parser("keys", help="token signing keys")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    rotate = keys_sub.add_parser("rotate", help="new active key; the previous one stays in the JWKS")
    rotate.add_argument("--alg", choices=["RS256", "ES256"], default=None, help="default: both")
    keys_sub.add_parser("list", help="every key with its status")


def _add_registry_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    registry = sub.add_parser("registry", help="the FRMR registry")
    registry_sub = registry.add_subparsers(dest="action", required=True)
    load = registry_sub.add_parser("import", help="upsert FRMR records: JSON, JSON Lines or CSV")
    load.add_argument("file", type=Path)
    load.add_argument("--section", choices=["persons", *SECTIONS], default=None,
                      help="what a CSV file holds (default: its name, e.g. courses.csv)")
    load.add_argument("--batch-size", type=_batch_size, default=500, help="persons per transaction (1-1000)")


def _batch_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 1000")
    return int(text)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """One process, one event loop: more cores means more instances (see the README's "Several instances")."""
    import uvicorn

    from frmr_sso.app import create_app
    from frmr_sso.logs import configure_logging
    from frmr_sso.web.metrics_port import MetricsPortDispatcher, bind_sockets
    from frmr_sso.web.shutdown import DrainingServer

    host, port = args.host or settings.host, args.port or settings.port
    try:
        check_metrics_port(port, settings.metrics_port)  # --port may have moved the public port onto it
    except ValueError as exc:
        print(f"frmr-sso: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    app = create_app(settings)
    asgi: Callable[..., Awaitable[None]] = app
    sockets = None
    if settings.metrics_port is not None:
        metrics_host = settings.metrics_host or host
        try:
            sockets = bind_sockets([(host, port), (metrics_host, settings.metrics_port)])
        except OSError as exc:
            print(f"frmr-sso: {exc}", file=sys.stderr)
            return 1
        asgi = MetricsPortDispatcher(app, settings.metrics_port)
        log.info("listening on http://%s:%d, /metrics on http://%s:%d",
                 host, port, metrics_host, settings.metrics_port)
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # frmr_sso.access logs each request, without its query string
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    DrainingServer(config, app.state.draining, settings.shutdown_drain_seconds).run(sockets=sockets)
    return 0


def _migrate(settings: Settings) -> int:
    from frmr_sso.storage.sql.migrate import upgrade

    upgrade(settings.database_url)
    print("database schema is up to date")
    return 0


def _with_engine(settings: Settings, action: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    from frmr_sso.storage.sql.engine import create_engine

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await action(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except StorageConflict as exc:
        print(f"frmr-sso: {exc}", file=sys.stderr)
    except StorageError as exc:
        print(f"frmr-sso: {exc} (check FRMR_SSO_DATABASE_URL; has `frmr-sso migrate` run?)", file=sys.stderr)
    except FrmrSsoError as exc:
        print(f"frmr-sso: {exc}", file=sys.stderr)
    return 1


def _clients(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.oauth.client_specs import ClientSpec
    from frmr_sso.oauth.registry import ClientService
    from frmr_sso.security.secrets import generate_client_secret
    from frmr_sso.storage.sql import SqlClientRepository

    async def run(engine: AsyncEngine) -> int:
        service = ClientService(SqlClientRepository(engine))
        if args.action == "list":
            rows: list[tuple[str, ...]] = [("client_id", "type", "grant types", "scopes", "redirect URIs")]
            for c in await service.list():
                kind = "public" if c.public else "confidential"
                grants, scopes, uris = ",".join(c.grant_types), " ".join(c.scopes), " ".join(c.redirect_uris)
                rows.append((c.client_id, kind, grants, scopes, uris))
            _print_table(rows)
            return 0
        if args.action == "remove":
            if await service.remove(args.client_id):
                await _admin_audit(engine, "CLIENT_REMOVED", "clients remove", client_id=args.client_id)
                print(f"client {args.client_id!r} removed")
                return 0
            print(f"frmr-sso: no client {args.client_id!r}", file=sys.stderr)
            return 1
        secret = None if args.public else args.secret
        if secret == "-":  # noqa: S105 - "read it from stdin"
            secret = sys.stdin.readline().rstrip("\r\n")
        generated = not args.public and secret is None
        requested = tuple(s for value in args.scopes for s in value.split()) or ("openid",)
        spec = ClientSpec(
            client_id=args.client_id, name=args.name, redirect_uris=tuple(args.redirect_uris),
            public=args.public, secret=generate_client_secret() if generated else secret,
            grant_types=tuple(args.grant_types) or ("authorization_code",), scopes=requested,
            post_logout_redirect_uris=tuple(args.post_logout_uris), id_token_alg=args.id_token_alg,
            backchannel_logout_uri=args.backchannel_logout_uri,
            require_second_factor=args.require_second_factor,
            refresh_rotation=args.refresh_rotation, refresh_grace=args.refresh_grace,
        )
        client = await service.add(spec)
        details = {"public": client.public, "grant_types": list(spec.grant_types)}
        await _admin_audit(engine, "CLIENT_ADDED", "clients add", client_id=client.client_id, details=details)
        print(f"client {client.client_id!r} added ({'public' if client.public else 'confidential'})")
        if generated:
            print(f"client secret (shown only now, store it safely): {spec.secret}")
        return 0

    return _with_engine(settings, run)


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from frmr_sso.bootstrap import build_key_ring

    async def run(engine: AsyncEngine) -> int:
        ring = build_key_ring(settings, engine)
        if args.action == "rotate":
            from frmr_sso.audit.events import AuditContext, Auditor
            from frmr_sso.cli_unlock import _operator
            from frmr_sso.storage.sql import SqlAuditRepository

            context = AuditContext(user_agent=f"frmr-sso keys rotate ({_operator()})")
            auditor = Auditor(SqlAuditRepository(engine))
            for record in await ring.rotate(args.alg, auditor=auditor, context=context):
                print(f"{record.alg}: new active key {record.kid}")
            delay = int(ring.activation_delay.total_seconds())
            if delay:
                print(f"running instances publish it at once and sign with it after {delay} s")
            print(f"previous keys stay in the JWKS for {int(ring.retention.total_seconds())} s")
            return 0
        rows: list[tuple[str, ...]] = [("kid", "alg", "status", "created", "not after")]
        for k in await ring.list_keys():
            not_after = k.not_after.isoformat(timespec="seconds") if k.not_after else "-"
            rows.append((k.kid, k.alg, k.status, k.created_at.isoformat(timespec="seconds"), not_after))
        _print_table(rows)
        return 0

    return _with_engine(settings, run)


def _registry_import(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0: every record imported; 1: some skipped; 2: the file is unreadable or not what its name says."""
    from frmr_sso.registry.import_run import plan_import, records_of, run_import
    from frmr_sso.registry.json_stream import UnreadableFile
    from frmr_sso.storage.sql import SqlRegistryRepository

    async def run(engine: AsyncEngine) -> int:
        report = await run_import(plan, records, SqlRegistryRepository(engine), batch_size=args.batch_size)
        counts: dict[str, object] = {"imported": report.imported, "skipped": report.skipped,
                                     "stopped": bool(report.fatal)}
        await _admin_audit(engine, "REGISTRY_IMPORTED", "registry import", details=counts)
        print(report.summary())
        if report.fatal:
            print(f"frmr-sso: {args.file}: {report.fatal}", file=sys.stderr)
        return 2 if report.fatal else 1 if report.skipped else 0

    try:
        plan = plan_import(args.file, args.section)  # the whole file is read once before anything is written
        with records_of(plan) as records:
            return _with_engine(settings, run)
    except UnreadableFile as exc:
        print(f"frmr-sso: {args.file}: {exc}", file=sys.stderr)
        return 2


async def _admin_audit(
    engine: AsyncEngine, event: str, command: str, *, client_id: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """One audit record per administrative command that changed something (the operator as user agent)."""
    from frmr_sso.audit.events import AuditContext, Auditor, Event
    from frmr_sso.cli_unlock import _operator
    from frmr_sso.storage.sql import SqlAuditRepository

    context = AuditContext(user_agent=f"frmr-sso {command} ({_operator()})")
    auditor = Auditor(SqlAuditRepository(engine))
    await auditor.record(Event[event], context, client_id=client_id, details=details)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from frmr_sso.demo import run_demo

            return run_demo(host=args.host, port=args.port, esia_port=args.esia_port)
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"frmr-sso: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "clients":
        return _clients(settings, args)
    if args.command == "keys":
        return _keys(settings, args)
    if args.command == "unlock":
        return run_unlock(settings, args)
    if args.command == "2fa":
        return run_second_factor(settings, args)
    if args.command == "registry":
        return _registry_import(settings, args)
    if args.command == "audit":
        return run_audit(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
