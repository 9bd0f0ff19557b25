"""Everything one mock ESIA process holds, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.templating import Jinja2Templates

from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from mock_esia.accounts import AccountDirectory
from mock_esia.clients import ClientRegistry
from mock_esia.config import MockSettings
from mock_esia.faults import Faults
from mock_esia.lockout import PasswordLockout
from mock_esia.outbox import Outbox
from mock_esia.tokens import TokenKeys

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass
class MockState:
    settings: MockSettings
    kv: KeyValueStore
    accounts: AccountDirectory
    clients: ClientRegistry
    keys: TokenKeys
    faults: Faults
    outbox: Outbox
    lockout: PasswordLockout
    templates: Jinja2Templates


def build_state(settings: MockSettings) -> MockState:
    kv = open_kv(settings.redis_url, prefix=settings.kv_prefix)
    return MockState(
        settings=settings,
        kv=kv,
        accounts=AccountDirectory.from_yaml(settings.accounts_file),
        clients=ClientRegistry.from_yaml(settings.clients_file),
        keys=TokenKeys(settings.token_alg),
        faults=Faults(),
        outbox=Outbox(),
        lockout=PasswordLockout(
            kv,
            max_failures=settings.max_password_failures,
            lock_seconds=settings.lockout_minutes * 60,
        ),
        templates=Jinja2Templates(directory=TEMPLATES_DIR),
    )
