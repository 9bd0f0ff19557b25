"""Warnings of third-party packages that are known, harmless and not ours to fix, silenced by module.

Each entry names the package and version it was seen with; pyproject.toml filters the same warnings in
the test suite (where warnings are errors), and CHANGELOG.md records the upgrade that brought them.
"""

from __future__ import annotations

import warnings


def silence_known_warnings() -> None:
    # pyHanko 0.38.0 imports cryptography's DSA key type, deprecated in cryptography 51.0.1; the broker
    # never uses DSA. Without this, every CLI command printed the warning before its own output.
    warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")
