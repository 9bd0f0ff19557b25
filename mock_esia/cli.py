"""``mock-esia serve [--host H] [--port P] [--dev] [--alg RS256|GOST3410_2012_256]``."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from frmr_sso.logs import configure_logging
from mock_esia.config import MockSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mock-esia", description="ESIA imitation for development and tests")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the mock ESIA server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--dev", action="store_true", help="enable /_dev/ endpoints (outbox, faults)")
    serve.add_argument("--alg", choices=["RS256", "GOST3410_2012_256"], default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
        overrides.setdefault("base_url", f"http://{args.host or '127.0.0.1'}:{args.port}")
        overrides.setdefault("issuer", f"http://{args.host or '127.0.0.1'}:{args.port}/")
    if args.dev:
        overrides["dev"] = True
    if args.alg:
        overrides["token_alg"] = args.alg
    settings = MockSettings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    from mock_esia.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
