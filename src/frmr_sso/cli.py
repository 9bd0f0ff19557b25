"""``frmr-sso`` command line: parse arguments, call one function, print the result."""

from __future__ import annotations

import argparse
import sys

from frmr_sso.config import ConfigurationError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frmr-sso", description="FRMR identity broker (ESIA → OpenID Connect)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the broker (settings from FRMR_SSO_* variables)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    demo = sub.add_parser("demo", help="run broker and mock ESIA on embedded stores with demo data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--esia-port", type=int, default=8001)
    sub.add_parser("migrate", help="apply database migrations up to the newest")
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from frmr_sso.app import create_app
    from frmr_sso.logs import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        proxy_headers=False,
        timeout_graceful_shutdown=20,
    )
    return 0


def _migrate(settings: Settings) -> int:
    from frmr_sso.storage.sql.migrate import upgrade

    upgrade(settings.database_url)
    print("database schema is up to date")
    return 0


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
    return 2


if __name__ == "__main__":
    sys.exit(main())
