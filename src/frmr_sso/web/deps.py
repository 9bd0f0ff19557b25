"""FastAPI dependencies, one per service: a route declares the few it uses (``tokens: TokensDep``).

The composition root (``bootstrap``) builds the services when the application starts; each
provider here hands one of them to a route. The providers are ``async`` (FastAPI runs a plain
``def`` dependency in its thread pool, a hop per request) and take the request alone, so
``web/protocol_dispatch.py`` can call them for the routes it dispatches directly. This module is the
one place of the web layer that knows where the lifespan keeps the services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.login_history import LoginHistory
from frmr_sso.cabinet_backend.change_requests.service import ChangeRequestService
from frmr_sso.cabinet_backend.notifications import DevOutbox
from frmr_sso.cabinet_backend.statements.service import StatementService
from frmr_sso.cabinet_backend.support.service import SupportService
from frmr_sso.config import Settings
from frmr_sso.login.consent import ConsentStep
from frmr_sso.login.consents import AccountConsents
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.oidc.discovery import ProviderMetadata
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.oidc.userinfo import UserInfoService
from frmr_sso.registry.access import RegistryAccess
from frmr_sso.registry.api import RegistryApi
from frmr_sso.registry.record_cache import CachedRegistry
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.enrolment import AccountSecondFactor
from frmr_sso.second_factor.login_step import SecondFactorStep
from frmr_sso.second_factor.passkey_account import AccountPasskeys
from frmr_sso.second_factor.passkey_login import PasskeyLoginStep
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import SqlAuditRepository, SqlSubjectRepository
from frmr_sso.upstream.base import Connector
from frmr_sso.web.cabinet_auth import Callers
from frmr_sso.web.metrics import Metrics
from frmr_sso.web.refusals import RefusalAudit


def provided(path: str) -> Callable[[Request], Awaitable[Any]]:
    """The provider of the service at ``path`` (``"tokens"``, ``"cabinet_requests.support"``) of the
    application's ``bootstrap.Container``."""
    get = attrgetter(path)

    async def provide(request: Request) -> Any:
        return get(request.app.state.container)

    provide.__name__ = path  # what a test checks against the Container's field types
    provide.__qualname__ = f"provided({path!r})"
    return provide


_refusal_audit = provided("refusal_audit")


async def refusal_audit_of(request: Request) -> RefusalAudit | None:
    """The refusal audit for the exception handlers, which are no route's dependencies: ``None`` in an
    application whose services the lifespan has not built (yet)."""
    if not hasattr(request.app.state, "container"):
        return None
    return cast(RefusalAudit, await _refusal_audit(request))


SettingsDep = Annotated[Settings, Depends(provided("settings"))]
EngineDep = Annotated[AsyncEngine, Depends(provided("engine"))]
KvDep = Annotated[KeyValueStore, Depends(provided("kv"))]
ConnectorsDep = Annotated[dict[str, Connector], Depends(provided("connectors"))]
MetricsDep = Annotated[Metrics, Depends(provided("metrics"))]
AuditorDep = Annotated[Auditor, Depends(provided("auditor"))]
AuditRecordsDep = Annotated[SqlAuditRepository, Depends(provided("audit"))]
SecurityDep = Annotated[Security, Depends(provided("security"))]
RefusalAuditDep = Annotated[RefusalAudit, Depends(provided("refusal_audit"))]
# the protocol
KeysDep = Annotated[KeyRing, Depends(provided("keys"))]
DiscoveryDep = Annotated[ProviderMetadata, Depends(provided("discovery"))]
ClientsDep = Annotated[ClientService, Depends(provided("clients"))]
TokensDep = Annotated[TokenService, Depends(provided("tokens"))]
BearerDep = Annotated[BearerValidator, Depends(provided("bearer"))]
IntrospectionDep = Annotated[IntrospectionService, Depends(provided("introspection"))]
RevocationDep = Annotated[RevocationService, Depends(provided("revocation"))]
UserInfoDep = Annotated[UserInfoService, Depends(provided("userinfo"))]
# the login and the person's account
SecondFactorDep = Annotated[SecondFactorStep, Depends(provided("second_factor"))]
TotpDep = Annotated[TotpCredentials, Depends(provided("totp"))]
AccountSecondFactorDep = Annotated[AccountSecondFactor, Depends(provided("account_second_factor"))]
PasskeysDep = Annotated[Passkeys, Depends(provided("passkeys"))]
PasskeyLoginDep = Annotated[PasskeyLoginStep, Depends(provided("passkey_login"))]
AccountPasskeysDep = Annotated[AccountPasskeys, Depends(provided("account_passkeys"))]
AccountSessionsDep = Annotated[SessionManager, Depends(provided("account_sessions"))]
SubjectsDep = Annotated[SqlSubjectRepository, Depends(provided("subjects"))]
ConsentDep = Annotated[ConsentStep, Depends(provided("consent"))]
AccountConsentsDep = Annotated[AccountConsents, Depends(provided("account_consents"))]
LoginHistoryDep = Annotated[LoginHistory, Depends(provided("login_history"))]
# the registry and the cabinet's back end
RegistryDep = Annotated[CachedRegistry, Depends(provided("registry"))]
RegistryAccessDep = Annotated[RegistryAccess, Depends(provided("registry_access"))]
RegistryApiDep = Annotated[RegistryApi, Depends(provided("registry_api"))]
StatementsDep = Annotated[StatementService, Depends(provided("statements"))]
CallersDep = Annotated[Callers, Depends(provided("callers"))]
ChangeRequestsDep = Annotated[ChangeRequestService, Depends(provided("cabinet_requests.change_requests"))]
SupportDep = Annotated[SupportService, Depends(provided("cabinet_requests.support"))]
SupportRateDep = Annotated[RateLimiter, Depends(provided("cabinet_requests.support_rate"))]
OutboxDep = Annotated[DevOutbox | None, Depends(provided("cabinet_requests.outbox"))]
