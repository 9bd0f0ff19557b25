"""The start page, the personal-data notice and the footer every broker page carries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.web.provider import Provider, running_provider
from tests.support.databases import Databases

OPERATOR = "ГБУЗ «Медицинский информационно-аналитический центр»"
EMAIL, PHONE = "help@miac.example", "+7 (800) 100-00-00"


@pytest.fixture(scope="module")
async def staffed(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Provider]:
    url = await databases.migrated()
    try:
        with running_provider(
            url, redis_url, tmp_path_factory.mktemp("staffed"),
            operator_name=OPERATOR, support_email=EMAIL, support_phone=PHONE,
        ) as running:  # fmt: skip
            yield running
    finally:
        await databases.drop(url)


async def get(provider: Provider, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        return await client.get(path, headers=headers)


async def test_the_start_page_says_what_the_service_is(staffed: Provider) -> None:
    page = await get(staffed, "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Вход в ФРМР для медицинских работников</h1>" in page.text
    assert "подтверждённая учётная запись Госуслуг" in page.text
    assert f'href="{staffed.base}/privacy"' in page.text
    # A demo broker serves the personal cabinet: the page leads there.
    assert f'<a class="button" href="{staffed.base}/cabinet/">Войти в личный кабинет</a>' in page.text


async def test_the_privacy_notice_names_the_operator_the_law_and_the_consent(staffed: Provider) -> None:
    page = await get(staffed, "/privacy")
    assert page.status_code == 200
    expected = (OPERATOR, "№ 152-ФЗ «О персональных данных»", "СНИЛС", "отозвать согласие", "Согласие</h2>")
    for text in expected:
        assert text in page.text


@pytest.mark.parametrize(
    "path", ["/", "/privacy", "/logout", "/account/sessions", "/login/2fa?id=x", "/cabinet/"]
)
async def test_every_page_has_the_footer_with_operator_and_support(staffed: Provider, path: str) -> None:
    page = await get(staffed, path)
    assert page.headers["content-type"].startswith("text/html")
    footer = page.text[page.text.index("<footer") :]
    assert OPERATOR in footer
    assert f'<a href="mailto:{EMAIL}">{EMAIL}</a>' in footer
    assert f'<a href="tel:+78001000000">{PHONE}</a>' in footer
    assert f'<a href="{staffed.base}/">Главная</a>' in footer
    assert "Обработка персональных данных" in footer


async def test_links_come_from_the_issuer_not_the_host_header(staffed: Provider) -> None:
    page = await get(staffed, "/", host="evil.example")
    assert "evil.example" not in page.text


async def test_without_contacts_the_footer_sends_people_to_their_organisation(provider: Provider) -> None:
    page = await get(provider, "/")
    assert "обратитесь к администратору информационных систем вашей медицинской организации" in page.text
    assert 'href="mailto:' not in page.text


async def test_an_unknown_address_is_a_russian_page_for_a_browser_and_problem_json_otherwise(
    staffed: Provider,
) -> None:
    page = await get(staffed, "/no-such-page", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert (page.status_code, page.headers["content-type"].split(";")[0]) == (404, "text/html")
    assert "Страница не найдена" in page.text
    assert page.headers["x-request-id"] in page.text
    assert OPERATOR in page.text  # the footer: a way on from the dead end
    api = await get(staffed, "/no-such-page", accept="application/json")
    assert (api.status_code, api.headers["content-type"]) == (404, "application/problem+json")
    assert (await get(staffed, "/api/v1/nothing")).headers["content-type"] == "application/problem+json"
