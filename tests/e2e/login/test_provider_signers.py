"""Brokered logins whose ESIA client_secret is signed by a configured provider, not a key file.

* ``pkcs11``: the broker's RSA key on a SoftHSM2 token, the mock ESIA in RSA mode;
* ``command``: ``openssl dgst`` with the GOST engine signs GOST R 34.10-2012, the mock ESIA (in
  GOST mode: its tokens are GOST too, checked through the engine) verifies against the key it knows.

Both run on the configured backend (SQLite + memory, or PostgreSQL + Redis).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from frmr_sso.demo import ESIA_CLIENT_ID
from frmr_sso.upstream.esia_signer import GostSecretSigner, RsaSecretSigner
from mock_esia.clients import RegisteredClient
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    SPA_ID,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    id_token_claims,
    login_rig,
    start,
)
from tests.support.gost_keys import gost_engine_or_skip, openssl_sign_argv, write_engine_key
from tests.support.softhsm import SoftHsm, softhsm  # noqa: F401 - the session fixture


async def _logs_in(rig: Rig) -> dict[str, Any]:
    async with rig.spa() as client:
        url, state, nonce, verifier = start(rig, client)
        answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
        location = assert_code_redirect(rig, answer, SPA_REDIRECT, state)
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    return await id_token_claims(rig, token["id_token"], SPA_ID, nonce)


async def test_a_login_with_the_client_secret_signed_on_a_pkcs11_token(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path,
    softhsm: SoftHsm,  # noqa: F811
) -> None:
    label = f"esia-{uuid.uuid4().hex[:8]}"
    softhsm.import_key(label, esia_signer._key, uuid.uuid4().hex[:8])  # the key the mock knows, on the token
    (tmp_path / "token-pin").write_text(softhsm.pin)
    signer = {"kind": "pkcs11", "module": str(softhsm.module), "token_label": softhsm.token,
              "key_label": label, "pin_file": "token-pin"}  # relative: beside the upstreams file
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, esia_options={"signer": signer}
    ) as rig:
        claims = await _logs_in(rig)
    assert claims["snils"] == "112-233-445 95"
    assert claims["frmr_person_id"] == "FRMR-0000001"


async def test_a_gost_login_with_the_client_secret_signed_by_openssls_gost_engine(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> None:
    gost_engine_or_skip()
    gost = GostSecretSigner.generate()
    key = write_engine_key(gost, tmp_path)
    signer = {"kind": "command", "argv": openssl_sign_argv(key), "timeout": 10}
    options = {"signer": signer, "algorithms": ["GOST3410_2012_256"]}
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, esia_options=options,
        mock_options={"token_alg": "GOST3410_2012_256"},
    ) as rig:
        _register_gost(rig, gost)
        claims = await _logs_in(rig)
        assert claims["snils"] == "112-233-445 95"
        # the same login signed by another GOST key: the mock ESIA refuses the client_secret
        _register_gost(rig, GostSecretSigner.generate())
        rig.browser.cookies.clear()  # a new browser: no SSO session at the broker
        async with rig.spa() as client:
            url, *_ = start(rig, client)
            refused = await rig.browser.get(url)
        assert refused.status_code == 302
        answer = await rig.browser.get(refused.headers["location"])  # ESIA checks the client_secret
        assert answer.status_code == 302
        assert "error=invalid_client" in answer.headers["location"]
        assert "ESIA-007053" in unquote(answer.headers["location"])
        assert_page(await rig.browser.get(answer.headers["location"]), 502)


def _register_gost(rig: Rig, gost: GostSecretSigner) -> None:
    known = rig.mock.state.clients.get(ESIA_CLIENT_ID)
    assert known is not None
    rig.mock.state.clients.register(
        RegisteredClient(
            client_id=ESIA_CLIENT_ID, name=known.name, redirect_uris=known.redirect_uris,
            certificate_hash=known.certificate_hash, scopes=known.scopes, signature="gost",
            public_key=gost.public_key_hex(), gost_curve=gost.curve,
        )
    )


async def test_a_failing_signer_is_the_brokers_fault_on_a_page_and_in_the_audit(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> None:
    script = tmp_path / "sign.sh"
    script.write_text("#!/bin/sh\necho 'container locked: PIN 31337 wrong' >&2\nexit 5\n")
    script.chmod(0o700)
    options = {"signer": {"kind": "command", "argv": ["./sign.sh"]}}
    rig_context = login_rig(migrated_database_url, redis_url, esia_signer, tmp_path, esia_options=options)
    async with rig_context as rig:
        async with rig.spa() as client:
            url, *_ = start(rig, client)
            assert_page(await rig.browser.get(url), 502)
        events = await rig.audit_events()
    (failure,) = [e for e in events if e.details.get("reason") == "signer_failed"]
    assert failure.details["connector"] == "esia"
    assert "31337" not in repr(events)
