"""Driving the broker's 2FA page like a person with an authenticator app."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html import unescape

import httpx

from frmr_sso.second_factor import totp
from tests.e2e.login.support import Rig, query
from tests.support.forms import HtmlForm, find_form

REGISTRAR, REGISTRAR_PASSWORD = "+79990000007", "Registr-Glavnyi-2026!"
MFA_ACR = "urn:frmr-sso:acr:esia-confirmed+mfa"


@dataclass
class Authenticator:
    """The person's app: the secret read from the enrolment page, and the last step it showed."""

    secret: str = ""
    last_step: int = -1
    recovery_codes: list[str] = field(default_factory=list)

    def next_code(self) -> str:
        """A code for a step not used before (the current one, or the next while it is taken)."""
        step = max(totp.current_step(time.time()), self.last_step + 1)
        assert step <= totp.current_step(time.time()) + totp.VALID_WINDOW, "the test ran out of steps"
        self.last_step = step
        return totp.code_at(self.secret, step)

    def last_code(self) -> str:
        return totp.code_at(self.secret, self.last_step)


def two_factor_location(rig: Rig, response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    assert location.startswith(f"{rig.broker}/login/2fa?id="), location
    return location


async def open_page(rig: Rig, response: httpx.Response) -> httpx.Response:
    page = await rig.browser.get(two_factor_location(rig, response))
    assert page.status_code == 200, page.text
    return page


async def post_code(rig: Rig, page: httpx.Response, code: str) -> httpx.Response:
    form = find_form(page.text, field="code")
    return await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill(code=code))


def code_form(page: httpx.Response) -> HtmlForm:
    return find_form(page.text, field="code")


def read_enrolment(page: httpx.Response) -> tuple[str, str]:
    """(secret, otpauth URI) as the page shows them."""
    secret = re.search(r"<code[^>]*data-secret[^>]*>([^<]+)</code>", page.text)
    uri = re.search(r"<code[^>]*data-otpauth[^>]*>([^<]+)</code>", page.text)
    assert secret is not None, page.text
    assert uri is not None, page.text
    return secret.group(1).replace(" ", ""), unescape(uri.group(1))


def read_recovery_codes(page: httpx.Response | str) -> list[str]:
    html = page if isinstance(page, str) else page.text
    block = re.search(r"data-recovery-codes>(.*?)</ul>", html, re.S)
    assert block is not None, html
    return re.findall(r"<code>([^<]+)</code>", block.group(1))


async def enrol(rig: Rig, response: httpx.Response, app: Authenticator) -> httpx.Response:
    """From the callback's redirect to /login/2fa through the enrolment: the redirect to the client."""
    page = await open_page(rig, response)
    app.secret, _ = read_enrolment(page)
    shown = await post_code(rig, page, app.next_code())
    assert shown.status_code == 200, shown.text
    app.recovery_codes = read_recovery_codes(shown)
    form = find_form(shown.text, action="/login/2fa/continue")
    return await rig.browser.post(f"{rig.broker}{form.action}", data=form.fill())


async def second_factor(rig: Rig, response: httpx.Response, code: str) -> httpx.Response:
    """The code form of an enrolled person: post ``code``; the broker's answer."""
    page = await open_page(rig, response)
    assert "data-secret" not in page.text
    return await post_code(rig, page, code)


def code_of(location: str) -> str:
    return query(location)["code"]
