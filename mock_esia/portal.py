"""A demo relying party inside the mock (dev mode only): the landing page and a full round trip.

``/`` lists the demo accounts; «Войти» sends a signed ``/v2/ac`` request for the
built-in client ``MOCKDEMO``, whose RSA key is generated at start and never
leaves the process; ``/_demo/callback`` redeems the code at ``/v3/te`` over real
HTTP, fetches ``/rs/prns/{oid}`` and shows what a relying party receives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.clients import RegisteredClient
from mock_esia.state import MockState
from mock_esia.timestamps import format_timestamp

DEMO_CLIENT_ID = "MOCKDEMO"
DEMO_SCOPE = "openid fullname birthdate gender snils"
_SIGNED = ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")
_FACTORS = {"sms": "SMS", "totp": "TOTP", "none": "—"}


@dataclass(frozen=True)
class DemoRelyingParty:
    signer: RsaSecretSigner
    redirect_uri: str

    @classmethod
    def register(cls, state: MockState) -> DemoRelyingParty:
        signer = RsaSecretSigner.generate()
        redirect_uri = f"{state.settings.base_url}/_demo/callback"
        state.clients.register(
            RegisteredClient(
                client_id=DEMO_CLIENT_ID,
                name="Проверка входа (имитация)",
                redirect_uris=(redirect_uri,),
                certificate_hash="0" * 64,
                public_key=signer.public_key_pem(),
                require_trusted=False,
            )
        )
        return cls(signer, redirect_uri)

    def _signed(self, params: dict[str, str], *extra: str) -> dict[str, str]:
        message = "".join(params.get(name, "") for name in _SIGNED) + "".join(extra)
        return {**params, "client_secret": self.signer.sign(message.encode())}

    def authorization_params(self) -> dict[str, str]:
        params = self._base(str(uuid.uuid4())) | {"response_type": "code", "access_type": "online"}
        return self._signed(params)

    def token_form(self, code: str) -> dict[str, str]:
        form = self._base(str(uuid.uuid4())) | {
            "code": code, "grant_type": "authorization_code", "token_type": "Bearer",
        }
        return self._signed(form, code)

    def _base(self, state: str) -> dict[str, str]:
        return {
            "client_id": DEMO_CLIENT_ID,
            "client_certificate_hash": "0" * 64,
            "redirect_uri": self.redirect_uri,
            "scope": DEMO_SCOPE,
            "state": state,
            "timestamp": format_timestamp(datetime.now(UTC)),
        }


def demo_accounts(state: MockState) -> list[dict[str, Any]]:
    """The fixture's accounts as the landing page shows them (dev mode shows the demo passwords)."""
    data = yaml.safe_load(state.settings.accounts_file.read_text(encoding="utf-8")) or {}
    return [
        {
            "phone": entry["phone"],
            "email": entry.get("email") or "",
            "snils": entry["snils"],
            "password": entry["password"],
            "factor": _FACTORS.get(entry.get("second_factor", "none"), "—"),
            "note": entry.get("note", ""),
        }
        for entry in data.get("accounts", [])
    ]
