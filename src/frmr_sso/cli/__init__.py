"""``frmr-sso`` command line: parse arguments, call one function, print the result.

One module per command group; each adds its parser and runs its command with
the settings. ``demo`` builds its own settings; every other command reads them
from the environment, filled in from a settings file (``env_file``). Bad
settings or arguments: one line on stderr naming them, exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, cast

from frmr_sso.cli import (
    audit,
    clients,
    config_check,
    keys,
    migrate,
    registry,
    second_factor,
    secrets,
    serve,
    subjects,
    unlock,
)
from frmr_sso.cli.common import fail
from frmr_sso.cli.env_file import EnvFileError, apply_env_file, settings_file
from frmr_sso.config import ConfigurationError, Settings, load_settings
from frmr_sso.version import package_version

Command = Callable[[Settings, argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "serve": serve.run_serve,
    "migrate": migrate.run,
    "clients": clients.run,
    "keys": keys.run,
    "unlock": unlock.run,
    "subjects": subjects.run,
    "2fa": second_factor.run,
    "registry": registry.run,
    "audit": audit.run,
    "config": config_check.run,
    "secrets": secrets.run,
}


class _Parser(argparse.ArgumentParser):
    """A bad argument is one line naming it and what is expected (exit 2), not the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    description = "FRMR identity broker (ESIA → OpenID Connect)"
    parser = _Parser(prog="frmr-sso", description=description)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument(
        "--env-file", type=Path, default=None, metavar="PATH",
        help="read FRMR_SSO_* settings from PATH (NAME=VALUE lines); the environment wins. "
             "Default: ./var/demo.env, written by `frmr-sso demo`, when no FRMR_SSO_* variable is set",
    )
    sub = cast("argparse._SubParsersAction[argparse.ArgumentParser]",  # its parsers are _Parser too
               parser.add_subparsers(dest="command", required=True))
    serve.add_parsers(sub)
    groups = (migrate, clients, keys, unlock, subjects, second_factor, registry, audit, secrets, config_check)
    for group in groups:
        group.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        path = settings_file(args.env_file, os.environ, Path.cwd())
        if path is not None and (args.env_file is not None or args.command != "demo"):
            apply_env_file(path, os.environ)
        args.settings_file = path
        if args.command == "demo":
            return serve.run_demo(args)
        settings = load_settings()
    except (ConfigurationError, EnvFileError) as exc:
        return fail(str(exc), 2)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
