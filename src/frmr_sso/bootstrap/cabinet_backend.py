"""The cabinet back end's services (change requests, contact codes, support), for the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.bootstrap.security import namespace, person_limits, policies
from frmr_sso.cabinet_backend.base import PersonReader
from frmr_sso.cabinet_backend.change_requests.contact_codes import ContactCodes
from frmr_sso.cabinet_backend.change_requests.service import ChangeRequestService
from frmr_sso.cabinet_backend.notifications import DevOutbox, Notifier, UnavailableNotifier
from frmr_sso.cabinet_backend.support.service import SupportService
from frmr_sso.config import Settings
from frmr_sso.security.crypto import SecretKeys
from frmr_sso.security.limiter import Lockout, RateLimiter
from frmr_sso.storage.ports import AuditRecord, KeyValueStore
from frmr_sso.storage.sql.change_requests import SqlChangeRequestRepository
from frmr_sso.storage.sql.support_requests import SqlSupportRequestRepository


@dataclass
class CabinetRequests:
    change_requests: ChangeRequestService
    support: SupportService
    support_rate: RateLimiter
    outbox: DevOutbox | None  # demo mode only: the dev outbox of sent codes


def build_cabinet_requests(
    settings: Settings,
    engine: AsyncEngine,
    kv: KeyValueStore,
    *,
    auditor: Auditor,
    registry: PersonReader,
    registry_changed: Callable[[], Awaitable[None]],
    observe: Callable[[AuditRecord], None],
) -> CabinetRequests:
    ns = namespace(settings)
    outbox = DevOutbox(kv) if settings.is_demo else None
    notifier: Notifier = outbox if outbox is not None else UnavailableNotifier()
    keys = SecretKeys.from_settings(settings)
    codes = ContactCodes(
        kv,
        notifier,
        Lockout(kv, policies(settings)[0], f"{ns}:contact-code"),
        key=keys.derive_key("contact-code"),
        older_keys=keys.earlier_keys("contact-code"),  # codes sent before a key change still count
    )
    return CabinetRequests(
        change_requests=ChangeRequestService(
            requests=SqlChangeRequestRepository(engine, registry_changed=registry_changed),
            registry=registry,
            codes=codes,
            auditor=auditor,
            observers=[observe],
            limits=person_limits(settings, kv),
        ),
        support=SupportService(SqlSupportRequestRepository(engine), observers=[observe]),
        support_rate=RateLimiter(kv, settings.rate_limit_support_per_hour, 3600.0, namespace=f"{ns}:support"),
        outbox=outbox,
    )
