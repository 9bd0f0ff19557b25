"""``frmr-sso`` command line: parse arguments, call one function, print the result.

One module per command group; each adds its parser and runs its command with
the settings. ``demo`` builds its own settings; every other command reads them
from the environment (see ``load_settings``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from frmr_sso.cli import audit, clients, keys, migrate, registry, second_factor, serve, unlock
from frmr_sso.cli.common import fail
from frmr_sso.config import ConfigurationError, Settings, load_settings

Command = Callable[[Settings, argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "serve": serve.run_serve,
    "migrate": migrate.run,
    "clients": clients.run,
    "keys": keys.run,
    "unlock": unlock.run,
    "2fa": second_factor.run,
    "registry": registry.run,
    "audit": audit.run,
}


def _parser() -> argparse.ArgumentParser:
    description = "FRMR identity broker (ESIA → OpenID Connect)"
    parser = argparse.ArgumentParser(prog="frmr-sso", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    serve.add_parsers(sub)
    for group in (migrate, clients, keys, unlock, second_factor, registry, audit):
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return serve.run_demo(args)
        settings = load_settings()
    except ConfigurationError as exc:
        return fail(str(exc), 2)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
