"""The ESIA connector: signed ``/v2/ac``, ``/v3/te`` with a new state, verified tokens, ``/rs/prns``.

Nonce: ESIA's v2 flow does not echo a nonce, so the replay and injection
protection it would give rests on state binding instead. The authorization
``state`` is a one-time UUID the login layer binds to the browser and we
compare in constant time; the code is redeemed by us, over TLS, with a
``client_secret`` signed over that code and a NEW token-request state that
ESIA must echo; the ID token must name our mnemonic and our issuer and be
fresh, and the access token must name the same person and session. A
``nonce`` claim, should ESIA start sending one, must equal ours.

With ``access_type: offline`` the refresh token is sealed at once (the
injected ``TokenSealer``, bound to connector and oid); ``refresh`` unseals it,
redeems it for new tokens and reads the person again. Access tokens are used
for the one person request right after they are issued and then dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast
from urllib.parse import urlencode

import httpx

from frmr_sso.jose.gost_openssl import OpenSslGost
from frmr_sso.security.crypto import DecryptionError
from frmr_sso.upstream import esia_protocol as proto
from frmr_sso.upstream.base import (
    ConnectorKind,
    TokenSealer,
    UpstreamIdentity,
    is_uuid,
    new_state,
    refresh_binding,
    same,
    snils_of,
)
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.errors import AccountNotConfirmed, UpstreamProtocolError
from frmr_sso.upstream.esia_claims import TokenRules, check_access_token, check_id_token, person_details
from frmr_sso.upstream.esia_protocol import EsiaOptions
from frmr_sso.upstream.esia_signer import ClientSecretSigner
from frmr_sso.upstream.jose import Jws, verify_jws
from frmr_sso.upstream.jwks import JwksCache
from frmr_sso.upstream.transport import DEFAULT_TIMEOUT, UpstreamHttp, json_object


class EsiaConnector:
    kind: ConnectorKind = "esia"

    def __init__(
        self,
        options: EsiaOptions,
        *,
        signer: ClientSecretSigner,
        http: httpx.AsyncClient,
        sealer: TokenSealer | None = None,
        breaker: CircuitBreaker | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
        gost_engine: OpenSslGost | None = None,
    ) -> None:
        if options.access_type == "offline" and sealer is None:
            raise ValueError("access_type offline needs a TokenSealer for the refresh token")
        self.options = options
        self.name = options.name
        self.display_name = options.display_name
        self._signer = signer
        self._gost_engine = gost_engine
        self._http = UpstreamHttp(http, connector=options.name, breaker=breaker, timeout=timeout)
        self._keys = JwksCache(
            self._fetch_jwks,
            connector=options.name,
            ttl=options.jwks_ttl,
            min_refetch_interval=options.jwks_min_refetch,
        )
        self._sealer = sealer
        self._clock = clock
        self._rules = TokenRules(options.name, options.issuer, options.client_id, options.skew)

    @property
    def breaker(self) -> CircuitBreaker:
        return self._http.breaker

    @property
    def keys(self) -> JwksCache:
        return self._keys

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str | None, redirect_uri: str
    ) -> str:
        if not is_uuid(state):
            raise ValueError("ESIA needs a UUID state: use upstream.base.new_state()")
        self._http.ensure_available()
        params = self._signable(state, redirect_uri) | {
            "response_type": "code",
            "access_type": self.options.access_type,
        }
        params["client_secret"] = await self._sign(proto.request_string(params))
        return self.options.url(proto.AC_PATH) + "?" + urlencode(_present(params))

    async def complete(
        self,
        *,
        params: Mapping[str, str],
        expected_state: str,
        nonce: str,
        code_verifier: str | None,
        redirect_uri: str,
    ) -> UpstreamIdentity:
        state = params.get("state")
        if state is not None and not same(state, expected_state):
            raise self._protocol("the callback state is not this login's", "state_mismatch")
        if params.get("error") or params.get("error_description"):
            raise proto.esia_failure(
                self._http, params.get("error", ""), params.get("error_description"), at="callback"
            )
        if state is None:
            raise self._protocol("the callback has no state", "state_mismatch")
        code = params.get("code")
        if not code:
            raise self._protocol("the callback has no code", "missing_code")
        tokens = await self._token_request(
            redirect_uri, {"grant_type": "authorization_code", "code": code}, signed_extra=code
        )
        return await self._identity(tokens, nonce=nonce, subject=None)

    async def logout_url(self, *, id_token: str | None, return_to: str) -> str | None:
        """ESIA's ``/idp/ext/Logout``: ends this browser's ESIA session, then goes to ``redirect_url``."""
        query = urlencode({"client_id": self.options.client_id, "redirect_url": return_to})
        return f"{self.options.url(proto.LOGOUT_PATH)}?{query}"

    async def refresh(self, identity: UpstreamIdentity, *, redirect_uri: str) -> UpstreamIdentity:
        if identity.sealed_refresh_token is None or self._sealer is None:
            raise self._protocol("no upstream refresh token is kept for this person", "no_refresh_token")
        binding = refresh_binding(self.name, identity.subject)
        try:
            token = self._sealer.decrypt_text(identity.sealed_refresh_token, associated_data=binding)
        except DecryptionError:
            raise self._protocol("the sealed refresh token does not open", "bad_sealed_token") from None
        tokens = await self._token_request(
            redirect_uri, {"grant_type": "refresh_token", "refresh_token": token}, signed_extra=""
        )
        return await self._identity(tokens, nonce=None, subject=identity.subject)

    def _signable(self, state: str, redirect_uri: str) -> dict[str, str]:
        options = self.options
        return {
            "client_id": options.client_id,
            "client_certificate_hash": options.certificate_hash,
            "redirect_uri": redirect_uri,
            "scope": " ".join(options.scopes),
            "scope_org": options.scope_org,
            "state": state,
            "timestamp": proto.esia_timestamp(self._clock()),
        }

    async def _sign(self, message: bytes) -> str:
        if self._signer.kind == "rsa":  # in-process RSA: well under a millisecond
            return self._signer.sign(message)
        # pure-Python GOST, a command or a token: keep the event loop free
        return await asyncio.to_thread(self._signer.sign, message)

    async def _token_request(
        self, redirect_uri: str, grant: dict[str, str], *, signed_extra: str
    ) -> dict[str, Any]:
        form = self._signable(new_state(), redirect_uri) | grant | {"token_type": "Bearer"}
        form["client_secret"] = await self._sign(proto.request_string(form, signed_extra))
        response = await self._http.request("POST", self.options.url(proto.TE_PATH), data=_present(form))
        body = json_object(response)
        if response.status_code != 200:
            body = body or {}
            raise proto.esia_failure(
                self._http, str(body.get("error", "")), str(body.get("error_description", "")), at="token"
            )
        if body is None:
            raise self._protocol("the token answer is not a JSON object", "malformed_response")
        echoed = body.get("state")
        if not isinstance(echoed, str) or not same(echoed, form["state"]):
            raise self._protocol("the token answer does not echo our state", "token_state_mismatch")
        for name in ("access_token", "id_token"):
            if not isinstance(body.get(name), str):
                raise self._protocol(f"the token answer has no {name}", "malformed_response")
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise self._protocol("the token answer is not a Bearer token", "malformed_response")
        return body

    async def _identity(
        self, tokens: Mapping[str, Any], *, nonce: str | None, subject: str | None
    ) -> UpstreamIdentity:
        algs, name, now = self.options.algorithms, self.name, self._clock()
        verify = partial(
            verify_jws, keys=self._keys, algorithms=algs, connector=name, gost_engine=self._gost_engine
        )
        # both at once (GOST checks wait on a thread or a process); the ID token's fault is reported first
        checked = await asyncio.gather(
            verify(tokens["id_token"]), verify(tokens["access_token"]), return_exceptions=True
        )
        for outcome in checked:
            if isinstance(outcome, BaseException):
                raise outcome
        id_jws, access_jws = cast(list[Jws], checked)
        facts = check_id_token(id_jws, self._rules, now=now, nonce=nonce)
        if subject is not None and facts.subject != subject:
            raise self._protocol("the refreshed tokens name another person", "subject_mismatch")
        check_access_token(
            access_jws, self._rules, now=now, subject=facts.subject, session_id=facts.session_id
        )
        if self.options.require_trusted and not facts.trusted:
            raise AccountNotConfirmed("the ESIA account is not confirmed", connector=name)
        person = await self._person(facts.subject, tokens["access_token"])
        trusted = facts.trusted and person.get("trusted") is True
        if self.options.require_trusted and not trusted:
            raise AccountNotConfirmed("the ESIA person record is not confirmed", connector=name)
        return UpstreamIdentity(
            connector=name,
            subject=facts.subject,
            snils=snils_of(person.get("snils"), connector=name),
            trusted=trusted,
            trust_level=facts.trust_level,
            auth_time=facts.auth_time,
            amr=facts.amr,
            upstream_amr=facts.esia_amr,
            session_id=facts.session_id,
            sealed_refresh_token=self._seal(tokens.get("refresh_token"), facts.subject),
            **person_details(person),
        )

    async def _person(self, oid: str, access_token: str) -> dict[str, Any]:
        url = self.options.url(proto.PERSON_PATH.format(oid=oid))
        response = await self._http.request("GET", url, headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code in (401, 403):
            status = response.status_code
            raise self._protocol(f"the person API refused our token ({status})", "person_refused")
        body = json_object(response)
        if response.status_code != 200 or body is None:
            raise self._protocol(f"the person API answered {response.status_code}", "malformed_response")
        return body

    def _seal(self, refresh_token: Any, subject: str) -> str | None:
        offline = self.options.access_type == "offline"
        if not offline or self._sealer is None or not isinstance(refresh_token, str):
            return None
        return self._sealer.encrypt(refresh_token, associated_data=refresh_binding(self.name, subject))

    async def _fetch_jwks(self) -> Mapping[str, Any]:
        url = self.options.jwks_uri or self.options.url("/aas/oauth2/jwks")
        response = await self._http.request("GET", url)
        body = json_object(response)
        if response.status_code != 200 or body is None:
            raise self._protocol(f"the JWKS answered {response.status_code}", "bad_jwks")
        return body

    def _protocol(self, message: str, reason: str) -> UpstreamProtocolError:
        return UpstreamProtocolError(message, connector=self.name, reason=reason)


def _present(params: Mapping[str, str]) -> dict[str, str]:
    """ESIA treats an empty parameter as absent; send none (the signed string still has "")."""
    return {name: value for name, value in params.items() if value}


__all__ = ["EsiaConnector", "EsiaOptions"]
