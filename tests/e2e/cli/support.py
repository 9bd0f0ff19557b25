"""The ``frmr-sso`` command as an operator runs it: a real subprocess with only the given FRMR_SSO_* set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any FRMR_SSO_* or MOCK_ESIA_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRMR_SSO_", "MOCK_ESIA_"))}
    env.update(extra)
    return env


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FRMR_SSO, *args], env=env, input=stdin, cwd=cwd, capture_output=True, text=True, timeout=timeout,
        check=False,
    )


def ok(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    result = run(env, *args, stdin=stdin, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The command failed with ``code`` and said why on exactly one line of stderr, without a traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(("frmr-sso: ", "frmr-sso ")), lines[0]
    return lines[0]
