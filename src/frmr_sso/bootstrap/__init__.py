"""Composition root: settings in, every store and service out. No import-time globals.

``container.py`` builds the ``Container`` (``login.py`` the login area, ``resources.py`` the connectors,
the key ring and the state stored at start, ``cabinet_backend.py`` the cabinet back end's services);
``running.py`` is the holder through which the middlewares reach the few services they use.
"""

from __future__ import annotations

from frmr_sso.bootstrap.container import Container, build_container
from frmr_sso.bootstrap.login import build_second_factor
from frmr_sso.bootstrap.resources import build_key_ring, build_upstream_connectors
from frmr_sso.bootstrap.running import Running

__all__ = [
    "Container", "Running", "build_container", "build_key_ring", "build_second_factor",
    "build_upstream_connectors",
]
