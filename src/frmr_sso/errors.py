"""Domain errors of frmr-sso. They carry no HTTP status: ``web/errors.py`` maps them.

    FrmrSsoError
    ├── ConfigurationError      settings that cannot run safely (config.py)
    ├── StorageError            a store failed or is unreachable (storage/errors.py)
    └── UpstreamError           an identity provider misbehaved or is unreachable
"""

from __future__ import annotations


class FrmrSsoError(Exception):
    """Base of every error the core raises on purpose."""


class UpstreamError(FrmrSsoError):
    """An upstream identity provider answered wrongly, too slowly, or not at all."""
