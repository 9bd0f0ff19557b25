"""Composition root: settings in, every store and service out. No import-time globals.

``container.py`` builds the ``Container`` (``login.py`` the login area, ``resources.py`` the connectors,
the key ring and the state stored at start, ``cabinet_backend.py`` the cabinet back end's services);
``running.py`` is the holder through which the middlewares reach the few services they use;
``commands.py`` builds what the ``frmr-sso`` commands use. A name is imported from its module when it is
first used, so a command does not load the web application.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frmr_sso.bootstrap.container import Container, build_container
    from frmr_sso.bootstrap.login import build_second_factor
    from frmr_sso.bootstrap.resources import build_key_ring, build_statement_signer, build_upstream_connectors
    from frmr_sso.bootstrap.running import Running

_MODULE_OF = {
    "Container": "container", "build_container": "container", "Running": "running",
    "build_second_factor": "login", "build_key_ring": "resources", "build_upstream_connectors": "resources",
    "build_statement_signer": "resources",
}
__all__ = [
    "Container", "Running", "build_container", "build_key_ring", "build_second_factor",
    "build_statement_signer", "build_upstream_connectors",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
