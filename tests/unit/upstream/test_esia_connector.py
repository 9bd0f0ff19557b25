"""The ESIA connector against a scripted ESIA: token checks, trust, SNILS, the signed token request."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamFailure,
    UpstreamSnilsInvalid,
    UpstreamSnilsMissing,
)
from frmr_sso.upstream.esia import EsiaConnector, EsiaOptions
from frmr_sso.upstream.esia_protocol import esia_timestamp
from mock_esia.signature import decode_client_secret, verify_rsa
from tests.unit.upstream.scripted_esia import CLIENT, ISSUER, OID, SIGNER, ScriptedEsia, complete, reason_of


async def test_the_token_request_is_signed_over_the_code(
    connector: EsiaConnector, esia: ScriptedEsia
) -> None:
    identity = await complete(connector)
    assert (identity.subject, identity.snils.formatted) == (str(OID), "112-233-445 95")
    form = esia.forms[0]
    assert uuid.UUID(form["state"]).version == 4
    assert (form["grant_type"], form["code"], form["token_type"]) == (
        "authorization_code",
        "the-code",
        "Bearer",
    )
    assert "scope_org" not in form  # empty parameters are not sent
    signed = "".join(
        form.get(n, "") for n in ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")
    )
    signature = decode_client_secret(form["client_secret"])
    assert signature is not None
    assert verify_rsa(SIGNER.public_key_pem(), (signed + "the-code").encode(), signature)
    assert not verify_rsa(SIGNER.public_key_pem(), signed.encode(), signature)


def test_timestamp_format() -> None:
    assert esia_timestamp(1_715_956_571) == "2024.05.17 14:36:11 +0000"


async def test_token_state_must_be_echoed(connector: EsiaConnector, esia: ScriptedEsia) -> None:
    esia.echo_state = str(uuid.uuid4())
    assert await reason_of(connector) == "token_state_mismatch"
    esia.echo_state = ""
    assert await reason_of(connector) == "token_state_mismatch"


async def test_tokens_in_the_wrong_places(connector: EsiaConnector, esia: ScriptedEsia) -> None:
    esia.swap_tokens = True
    assert await reason_of(connector) == "wrong_token_kind"


@pytest.mark.parametrize(
    ("id_claims", "access_claims", "reason"),
    [
        ({"sub": "1000299655"}, {}, "subject_mismatch"),
        ({}, {"urn:esia:sbj_id": 1000299655}, "subject_mismatch"),
        ({}, {"urn:esia:sid": "other"}, "subject_mismatch"),
        ({}, {"client_id": "OTHER01"}, "wrong_audience"),
        ({"aud": ["OTHER01", CLIENT]}, {}, "wrong_audience"),
        ({"nonce": "not-ours"}, {}, "nonce_mismatch"),
        ({"sub": None}, {}, "malformed_token"),
        ({"urn:esia:sbj": None}, {}, "malformed_token"),
        ({}, {"urn:esia:sbj_id": None}, "malformed_token"),
        ({}, {"exp": 1}, "expired_token"),
        ({}, {"iss": "https://esia.gosuslugi.ru/"}, "wrong_issuer"),
        ({"iss": "http://esia.gosuslugi.ru"}, {}, "wrong_issuer"),
    ],
)
async def test_token_claims(
    connector: EsiaConnector,
    esia: ScriptedEsia,
    id_claims: dict[str, Any],
    access_claims: dict[str, Any],
    reason: str,
) -> None:
    esia.id_claims.update(id_claims)
    esia.access_claims.update(access_claims)
    assert await reason_of(connector) == reason


async def test_our_nonce_echoed_is_fine(connector: EsiaConnector, esia: ScriptedEsia) -> None:
    esia.id_claims["nonce"] = "n"
    assert (await complete(connector)).subject == str(OID)


@pytest.mark.parametrize(
    ("claims", "amr", "esia_amr"),
    [
        ({"amr": "PWD"}, ("pwd",), ("PWD",)),
        ({"amr": ["PWD", "SMS"]}, ("pwd", "sms", "mfa"), ("PWD", "SMS")),
        ({"amr": None, "urn:esia:amd": "PWD,DS"}, ("pwd", "hwk", "mfa"), ("PWD", "DS")),
        ({"amr": "PWD NEW"}, ("pwd",), ("PWD", "NEW")),
    ],
)
async def test_esia_methods_become_rfc_8176_values(
    connector: EsiaConnector, esia: ScriptedEsia, claims: dict[str, Any], amr: tuple[str, ...],
    esia_amr: tuple[str, ...],
) -> None:
    esia.id_claims.update(claims)  # None: the claim is left out
    identity = await complete(connector)
    assert (identity.amr, identity.upstream_amr) == (amr, esia_amr)


@pytest.mark.parametrize(
    ("sbj", "person"),
    [
        ({"urn:esia:sbj:lvl": "P", "urn:esia:sbj:is_tru": None}, {}),
        ({"urn:esia:sbj:lvl": "PR", "urn:esia:sbj:is_tru": None}, {}),  # is_tru absent
        ({"urn:esia:sbj:lvl": "PR", "urn:esia:sbj:is_tru": "true"}, {}),  # not a JSON true
        ({}, {"trusted": False}),  # the person record disagrees
        ({}, {"trusted": None}),
    ],
)
async def test_confirmation_needs_both_tokens_and_person(
    connector: EsiaConnector, esia: ScriptedEsia, sbj: dict[str, Any], person: dict[str, Any]
) -> None:
    base = {
        "urn:esia:sbj:typ": "P",
        "urn:esia:sbj:oid": OID,
        "urn:esia:sbj:lvl": "PR",
        "urn:esia:sbj:is_tru": True,
    }
    esia.id_claims["urn:esia:sbj"] = {k: v for k, v in (base | sbj).items() if v is not None}
    esia.person.update(person)
    await reason_of(connector, AccountNotConfirmed)


@pytest.mark.parametrize(
    ("snils", "error"),
    [
        (None, UpstreamSnilsMissing),
        ("", UpstreamSnilsMissing),
        ("112-233-445 96", UpstreamSnilsInvalid),
        ("12345", UpstreamSnilsInvalid),
        (11223344595, UpstreamSnilsInvalid),
    ],
)
async def test_snils_from_the_person(
    connector: EsiaConnector, esia: ScriptedEsia, snils: Any, error: type[UpstreamFailure]
) -> None:
    esia.person["snils"] = snils
    with pytest.raises(error) as caught:
        await complete(connector)
    assert "112-233" not in str(caught.value)


async def test_person_details_tolerate_odd_values(connector: EsiaConnector, esia: ScriptedEsia) -> None:
    esia.person.update(birthDate="31.02.1985", gender="X", middleName="  ")
    identity = await complete(connector)
    assert (identity.birthdate, identity.gender, identity.middle_name) == (None, None, None)


async def test_offline_access_needs_a_sealer() -> None:
    options = EsiaOptions(
        base_url="https://esia.test",
        issuer=ISSUER,
        client_id=CLIENT,
        certificate_hash="B" * 64,
        access_type="offline",
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError, match="TokenSealer"):
            EsiaConnector(options, signer=SIGNER, http=http)
