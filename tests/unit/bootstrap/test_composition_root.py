"""The composition root (``bootstrap/``) is the one place that constructs the application's services."""

from __future__ import annotations

import ast
import dataclasses
from importlib import import_module
from pathlib import Path
from typing import Any, get_type_hints

import frmr_sso
from frmr_sso.audit.events import Auditor
from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.bootstrap import Container
from frmr_sso.bootstrap.cabinet_backend import CabinetRequests
from frmr_sso.cabinet_backend.change_requests.contact_codes import ContactCodes
from frmr_sso.config import Settings
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.login.upstream_logout import UpstreamLogout
from frmr_sso.second_factor.policy import PendingLogins, SecondFactorGate
from frmr_sso.security.limiter import Lockout, RateLimiter
from frmr_sso.storage.sql import SqlClientRepository
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository

SRC = Path(frmr_sso.__file__).resolve().parent
ROOT = SRC / "bootstrap"
# built by the composition root beside the Container's own services
ALSO = {
    Auditor, BatchingAuditWriter, BackchannelLogout, UpstreamLogout, LoginTransactions, SecondFactorGate,
    PendingLogins, ContactCodes, SqlRefreshTokenRepository, SqlClientRepository, Lockout, RateLimiter,
}


def service_classes() -> set[type]:
    """The classes of the Container's fields (the cabinet back end's too) that this package defines."""
    found: set[type] = set(ALSO)
    for owner in (Container, CabinetRequests):
        hints = get_type_hints(owner)
        for field in dataclasses.fields(owner):
            kind = hints[field.name]
            if isinstance(kind, type) and kind.__module__.startswith("frmr_sso.") and kind is not Settings:
                found.add(kind)
    return found


def constructions(source: str, module: str, services: set[type]) -> list[str]:
    """Calls in ``source`` (the module ``module``) of a class of ``services``, by the names it imports."""
    tree = ast.parse(source)
    names: dict[str, Any] = {cls.__name__: cls for cls in services if cls.__module__ == module}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("frmr_sso"):
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(import_module(node.module), alias.name, None)
        elif isinstance(node, ast.Import):
            modules.update({alias.asname or alias.name: alias.name for alias in node.names})
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, called = node.func, None
        if isinstance(func, ast.Name):
            called = names.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = modules.get(func.value.id)
            called = getattr(import_module(owner), func.attr, None) if owner else None
        if called in services:
            found.append((node.lineno, f"{node.lineno}: {called.__name__}(…)"))
    return [text for _, text in sorted(found)]


def test_the_scan_finds_a_service_constructed_by_any_name() -> None:
    services = service_classes()
    expected = {"TokenService", "ClientService", "SessionManager", "Auditor"}
    assert {cls.__name__ for cls in services} >= expected
    source = (
        "import frmr_sso.audit.events as events\n"
        "from fastapi import Security\n"
        "from frmr_sso.oauth.client_service import ClientService as Clients\n"
        "service = Clients(repository)\n"
        "auditor = events.Auditor(writer)\n"
        "scheme = Security(bearer)\n"
    )
    assert constructions(source, "frmr_sso.web.example", services) == ["4: ClientService(…)", "5: Auditor(…)"]


def test_nothing_outside_bootstrap_constructs_a_service() -> None:
    services = service_classes()
    outside = {}
    for path in sorted(SRC.rglob("*.py")):
        if ROOT in path.parents:
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        module = ".".join(("frmr_sso", *parts)).removesuffix(".__init__")
        found = constructions(path.read_text(encoding="utf-8"), module, services)
        if found:
            outside[module] = found
    assert outside == {}
