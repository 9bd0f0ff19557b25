"""The broker's version: the installed package's metadata, written only in pyproject.toml.

``frmr-sso --version``, ``/health/live``, the OpenAPI document, the tracing resource and the SBOM
(``make sbom``) all show this one value.
"""

from __future__ import annotations

import functools
from importlib.metadata import version

DISTRIBUTION = "frmr-sso"


@functools.cache
def package_version() -> str:
    return version(DISTRIBUTION)
