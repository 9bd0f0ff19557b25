"""Passkeys in headless Chromium with its virtual authenticators, on the configured store backend.

The broker runs as ``http://localhost:<port>`` (WebAuthn needs a domain as the relying party id, never
an IP address); the registry administrator is asked for the second factor at every login. One person's
story: enrol a passkey at the login that asks for it, sign in with it, add a second device from the
account page and sign in with that one, remove the first; then a forged credential and a cloned
authenticator are refused and audited.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Credential, VirtualAuthenticatorOptions
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.second_factor_support import REGISTRAR, REGISTRAR_PASSWORD
from tests.e2e.login.support import WEB_ID, WEB_REDIRECT, WEB_SECRET, Rig, login_rig, query

MFA_ACR = "urn:frmr-sso:acr:esia-confirmed+mfa"


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    signer = RsaSecretSigner.generate()
    async with login_rig(migrated_database_url, redis_url, signer, tmp_path, host="localhost") as running:
        yield running


@pytest.fixture
def wait(chrome: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(chrome, 20)


def _device(transport: str) -> VirtualAuthenticatorOptions:
    """A platform authenticator (``internal``: fingerprint, face) or a roaming one (``usb``)."""
    return VirtualAuthenticatorOptions(
        protocol=VirtualAuthenticatorOptions.Protocol.CTAP2, transport=transport, has_resident_key=True,
        has_user_verification=True, is_user_consenting=True, is_user_verified=True,
    )  # fmt: skip


def _login(chrome: webdriver.Chrome, wait: WebDriverWait[webdriver.Chrome], rig: Rig, state: str) -> None:
    """From the client's authorization request through the ESIA pages to the broker's /login/2fa."""
    params = {
        "client_id": WEB_ID, "response_type": "code", "scope": "openid profile snils frmr",
        "redirect_uri": WEB_REDIRECT, "state": state, "nonce": f"n-{state}", "prompt": "login",
    }  # fmt: skip
    chrome.get(f"{rig.broker}/authorize?{urlencode(params)}")
    at_2fa = f"{rig.broker}/login/2fa?id="
    wait.until(lambda d: d.current_url.startswith(at_2fa) or d.find_elements(By.NAME, "login"))
    if not chrome.current_url.startswith(at_2fa):  # ESIA asks for the password (else its session served)
        chrome.find_element(By.NAME, "login").send_keys(REGISTRAR)
        chrome.find_element(By.NAME, "password").send_keys(REGISTRAR_PASSWORD)
        chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(expected_conditions.presence_of_element_located((By.NAME, "code")))
        sms = httpx.get(rig.mock.url("/_dev/outbox"), params={"login": REGISTRAR}).json()[0]["code"]
        chrome.find_element(By.NAME, "code").send_keys(sms)
        chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(lambda d: d.current_url.startswith(at_2fa))


def _press_passkey(chrome: webdriver.Chrome, name: str | None = None) -> None:
    form = chrome.find_element(By.CSS_SELECTOR, "form[data-passkey]")
    if name is not None:
        form.find_element(By.NAME, "name").send_keys(name)
    form.find_element(By.TAG_NAME, "button").click()


def _claims(chrome: webdriver.Chrome, rig: Rig, state: str) -> dict[str, Any]:
    """The client's redirect, its code redeemed at /token: the id_token's claims."""
    WebDriverWait(chrome, 20).until(lambda d: d.current_url.startswith(WEB_REDIRECT + "?"))
    params = query(chrome.current_url)
    assert params["state"] == state
    token = httpx.post(
        f"{rig.broker}/token", auth=(WEB_ID, WEB_SECRET),
        data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": WEB_REDIRECT},
    )  # fmt: skip
    assert token.status_code == 200, token.text
    claims: dict[str, Any] = jwt.decode(token.json()["id_token"], options={"verify_signature": False})
    return claims


def _bytes(text: str | bytes) -> bytes:
    """A value ``get_credentials`` gives in base64url, as ``add_credential`` takes it."""
    if isinstance(text, bytes):
        return text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _alert(wait: WebDriverWait[webdriver.Chrome]) -> WebElement:
    found: WebElement = wait.until(
        expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, "form[data-passkey] [role=alert]")
        )
    )
    return found


async def test_enrol_at_login_sign_in_add_a_second_device_and_remove_the_first(
    chrome: webdriver.Chrome, wait: WebDriverWait[webdriver.Chrome], rig: Rig
) -> None:
    chrome.add_virtual_authenticator(_device("internal"))
    _login(chrome, wait, rig, "enrol")
    body = chrome.find_element(By.TAG_NAME, "body").text
    assert "Ключ доступа: отпечаток пальца, лицо или PIN-код устройства" in body
    assert "Подключите приложение-аутентификатор" in body  # or an authenticator app, as before
    _press_passkey(chrome, "Ноутбук")
    claims = _claims(chrome, rig, "enrol")
    assert claims["acr"] == MFA_ACR
    assert {"hwk", "user", "mfa"} <= set(claims["amr"])
    assert "otp" not in claims["amr"]
    [stored] = chrome.get_credentials()
    assert stored.rp_id == "localhost"

    _login(chrome, wait, rig, "again")  # enrolled: the passkey is asked, and no code form is shown
    assert chrome.find_elements(By.NAME, "code") == []
    assert "Войти с ключом доступа" in chrome.find_element(By.TAG_NAME, "body").text
    _press_passkey(chrome)
    assert {"hwk", "user", "mfa"} <= set(_claims(chrome, rig, "again")["amr"])

    chrome.get(f"{rig.broker}/account/2fa/passkeys")  # the session passed the passkey: may change them
    listed = chrome.find_elements(By.CSS_SELECTOR, "[data-passkey-name]")
    assert [e.text for e in listed] == ["Ноутбук"]
    assert "ещё не использовался" not in chrome.find_element(By.TAG_NAME, "body").text
    chrome.remove_virtual_authenticator()
    chrome.add_virtual_authenticator(_device("usb"))  # a second device: a security key
    _press_passkey(chrome, "USB-ключ")
    wait.until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "подключён")
    )
    names = [e.text for e in chrome.find_elements(By.CSS_SELECTOR, "[data-passkey-name]")]
    assert names == ["Ноутбук", "USB-ключ"]

    _login(chrome, wait, rig, "usb")
    _press_passkey(chrome)
    assert {"hwk", "user", "mfa"} <= set(_claims(chrome, rig, "usb")["amr"])

    chrome.get(f"{rig.broker}/account/2fa/passkeys")
    chrome.find_element(By.XPATH, "//button[contains(., '«Ноутбук»')]").click()
    wait.until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "удалён")
    )
    assert [e.text for e in chrome.find_elements(By.CSS_SELECTOR, "[data-passkey-name]")] == ["USB-ключ"]
    events = [
        e.event_type for e in await rig.audit_events() if e.event_type.startswith("second_factor.passkey")
    ]
    assert events == [
        "second_factor.passkey_enrolled", "second_factor.passkey_accepted", "second_factor.passkey_enrolled",
        "second_factor.passkey_accepted", "second_factor.passkey_removed",
    ]  # fmt: skip


async def test_a_forged_credential_and_a_cloned_authenticator_are_refused(
    chrome: webdriver.Chrome, wait: WebDriverWait[webdriver.Chrome], rig: Rig
) -> None:
    chrome.add_virtual_authenticator(_device("internal"))
    _login(chrome, wait, rig, "enrol")
    _press_passkey(chrome, "Телефон")
    _claims(chrome, rig, "enrol")
    [copied] = chrome.get_credentials()  # the key as it is after the enrolment
    _login(chrome, wait, rig, "use")  # the original moves its counter on
    _press_passkey(chrome)
    _claims(chrome, rig, "use")
    [original] = chrome.get_credentials()
    assert original.sign_count > copied.sign_count, "the virtual authenticator keeps a signature counter"
    chrome.remove_virtual_authenticator()

    # The registered credential id with another private key: the signature does not verify.
    forged_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chrome.add_virtual_authenticator(_device("internal"))  # the transport the passkey was enrolled with
    chrome.add_credential(
        Credential.create_non_resident_credential(_bytes(original.id), "localhost", forged_key, 100)
    )
    _login(chrome, wait, rig, "forged")
    _press_passkey(chrome)
    refused = _alert(wait)
    assert "не прошёл проверку" in refused.text
    chrome.remove_virtual_authenticator()

    # A copy of the key taken before the last use: its counter does not pass the stored one.
    key = _bytes(copied.private_key)
    chrome.add_virtual_authenticator(_device("internal"))
    chrome.add_credential(
        Credential.create_non_resident_credential(_bytes(original.id), "localhost", key, copied.sign_count)
    )
    _press_passkey(chrome)  # the refusal's page carries a new challenge
    wait.until(expected_conditions.staleness_of(refused))
    assert "скопирован" in _alert(wait).text
    events = [e for e in await rig.audit_events() if e.event_type.startswith("second_factor.passkey")]
    assert [e.event_type for e in events] == [
        "second_factor.passkey_enrolled", "second_factor.passkey_accepted", "second_factor.passkey_rejected",
        "second_factor.passkey_clone_refused",
    ]  # fmt: skip
    assert events[2].details["reason"] == "wrong"
    assert events[3].outcome == "failure"
    assert {e.subject_id for e in events} == {events[0].subject_id}
