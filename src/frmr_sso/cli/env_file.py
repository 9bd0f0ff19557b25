"""Settings files for the ``frmr-sso`` commands: ``--env-file PATH`` and the demo's ``./var/demo.env``.

A file holds ``NAME=VALUE`` lines (blank lines and ``#`` comments ignored, an
optional ``export`` prefix, optional matching quotes around the value). Its
variables fill in only those the environment does not set: the environment wins.

Which file is read: ``--env-file PATH`` when given (the file must exist);
otherwise ``./var/demo.env`` in the current folder, which ``frmr-sso demo``
writes at each start, but only when it exists and no ``FRMR_SSO_*`` variable is
set, so a configured environment is never mixed with the demo's settings.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from pathlib import Path

DEMO_ENV_FILE = Path("var") / "demo.env"
_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


class EnvFileError(Exception):
    """The file cannot be read or a line is not ``NAME=VALUE``; the message says where."""


def read_env_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise EnvFileError(f"--env-file: cannot read {path} ({reason})") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise EnvFileError(f"--env-file: {path}:{number}: expected NAME=VALUE")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def settings_file(explicit: Path | None, environ: MutableMapping[str, str], cwd: Path) -> Path | None:
    """The file to read by the rule above, or None."""
    if explicit is not None:
        return explicit
    demo = cwd / DEMO_ENV_FILE
    if demo.is_file() and not any(name.startswith("FRMR_SSO_") for name in environ):
        return demo
    return None


def apply_env_file(path: Path, environ: MutableMapping[str, str]) -> None:
    for name, value in read_env_file(path).items():
        environ.setdefault(name, value)
