"""Known third-party warnings are silenced by the module that raises them, and nothing else is."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stderr


def test_importing_pyhanko_through_the_package_prints_no_warning() -> None:
    assert run("import frmr_sso; import pyhanko.sign") == ""


def test_the_same_warning_from_another_module_is_still_shown() -> None:
    code = (
        "import frmr_sso, warnings\n"
        "warnings.warn_explicit('DSA is deprecated', UserWarning, 'x.py', 1, module='frmr_sso.x')\n"
    )
    assert "DSA is deprecated" in run(code)
