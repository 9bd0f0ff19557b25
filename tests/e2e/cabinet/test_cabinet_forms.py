"""The cabinet's forms over real HTTP, on the configured store backend: the broker with the cabinet mounted
and the mock ESIA as real servers (``login_rig``), the person signed in through the ESIA pages.

A workplace change is filed from the directories' choices with the organisation found by name (its OKTMO
filled in); a contact change goes through its one-time code; the support form is filled from the record.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.support import DOCTOR, DOCTOR_PASSWORD, Rig, login_rig
from tests.support import documents
from tests.support.forms import find_form

HOSPITAL_OID = "1.2.643.5.1.13.13.12.2.77.7871"


@pytest.fixture
async def rig(migrated_database_url: str, redis_url: str | None, tmp_path: Path) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, RsaSecretSigner.generate(), tmp_path) as running:
        yield running


async def _sign_in(rig: Rig) -> None:
    start = await rig.browser.get(f"{rig.broker}/cabinet/login?next=requests/new")
    assert start.status_code == 303
    back = await rig.esia_login(start.headers["location"], DOCTOR, DOCTOR_PASSWORD)
    assert back.status_code in (302, 303), back.text
    landed = await rig.browser.get(back.headers["location"])
    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == "/cabinet/requests/new"


async def _get(rig: Rig, path: str, **params: str) -> httpx.Response:
    return await rig.browser.get(f"{rig.broker}/cabinet{path}", params=params)


async def _post(rig: Rig, action: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
    return await rig.browser.post(f"{rig.broker}{action}", data=data, **kwargs)  # type: ignore[arg-type]


def _error_of(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def test_a_workplace_change_is_filed_from_the_directories(rig: Rig) -> None:
    await _sign_in(rig)
    sections = await _get(rig, "/requests/new")
    assert sections.status_code == 200
    links = re.findall(r'href="/cabinet/requests/new/(\w+)"', sections.text)
    assert links == ["workplace", "education", "contacts"]  # one page per section, no drop-down

    search = await _get(rig, "/requests/new/workplace")
    assert find_form(search.text, action="/cabinet/requests/new/workplace").method == "get"
    found = await _get(rig, "/requests/new/workplace", q="клиническая больница № 1")
    assert found.status_code == 200
    assert re.findall(r'class="oid">([^<]+)<', found.text) == [HOSPITAL_OID]
    by_oid = await _get(rig, "/requests/new/workplace", q="12.2.63")
    assert "Самарская областная клиническая больница" in by_oid.text
    nothing = await _get(rig, "/requests/new/workplace", q="аптека на Луне")
    assert "ничего не найдено" in nothing.text

    chosen = await _get(rig, "/requests/new/workplace", org=HOSPITAL_OID)
    assert chosen.status_code == 200
    assert "45383000" in chosen.text  # the organisation's OKTMO, from the directory
    form = find_form(chosen.text, action="/cabinet/requests")
    assert form.hidden["organization_oid"] == HOSPITAL_OID
    assert "109" in form.options["post_id"]
    assert form.options["position_type"] == ["", "1", "2", "3", "4"]
    assert "organization_name" not in form.inputs
    assert "oktmo" not in form.inputs

    typed = form.fill(post_id="110", position_type="3", rate="7", begin_date="2031-01-01")
    refused = await _post(rig, form.action, typed, files={"document": ("", b"", "application/octet-stream")})
    assert refused.status_code == 400
    assert _error_of(refused.text, "rate") == "Ставка — число от 0,05 до 2."
    assert _error_of(refused.text, "begin_date") == "Дата не может быть позже сегодняшней."
    assert _error_of(refused.text, "document") == "Приложите подтверждающий документ (PDF или JPEG)."
    kept = find_form(refused.text, action="/cabinet/requests")
    assert (kept.inputs["post_id"], kept.inputs["position_type"], kept.inputs["rate"]) == ("110", "3", "7")

    good = kept.fill(rate="0,5", begin_date="2012-09-01", comment="перевод на совмещение")
    sent = await _post(
        rig,
        form.action,
        good,
        files={"document": ("приказ.pdf", documents.pdf(3 * 1024 * 1024), "application/pdf")},
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/cabinet/requests")  # a 3 MB scan passes
    listed = await _get(rig, "/requests")
    assert "Заявка отправлена" in listed.text
    assert "На проверке" in listed.text
    assert "45383000" in listed.text
    assert "совмещение" in listed.text  # the position type by its name


async def test_a_job_in_the_record_is_corrected_from_a_filled_form(rig: Rig) -> None:
    await _sign_in(rig)
    choose = await _get(rig, "/requests/new/workplace")
    assert 'href="/cabinet/requests/new/workplace?record=emp-0000001-1"' in choose.text
    filled = await _get(rig, "/requests/new/workplace", record="emp-0000001-1")
    assert "Вы исправляете запись" in filled.text
    assert "45383000" in filled.text  # the job's organisation, from the directory
    form = find_form(filled.text, action="/cabinet/requests")
    assert form.hidden["record_id"] == "emp-0000001-1"
    assert (form.inputs["post_id"], form.inputs["position_type"], form.inputs["begin_date"]) == (
        "109",
        "1",
        "2012-09-01",
    )
    pdf = {"document": ("приказ.pdf", documents.pdf(), "application/pdf")}
    sent = await _post(rig, form.action, form.fill(rate="0,75"), files=pdf)
    assert sent.status_code == 303, sent.text
    listed = await _get(rig, "/requests")
    assert "исправление имеющейся" in listed.text
    other = await _get(rig, "/requests/new/workplace", record="emp-0000001-1", other="1")
    assert find_form(other.text, action="/cabinet/requests/new/workplace").hidden == {
        "record": "emp-0000001-1",
        "other": "1",
    }
    assert (await _get(rig, "/requests/new/workplace", record="emp-of-someone-else")).status_code == 404


async def test_an_unknown_organisation_or_section_is_not_accepted(rig: Rig) -> None:
    await _sign_in(rig)
    unknown = await _get(rig, "/requests/new/workplace", org="1.2.3.4.5")
    assert unknown.status_code == 200
    assert "Такой организации нет в справочнике" in unknown.text
    assert (await _get(rig, "/requests/new/passport")).status_code == 404
    page = await _get(rig, "/requests/new/workplace", org=HOSPITAL_OID)
    form = find_form(page.text, action="/cabinet/requests")
    forged = form.fill(post_id="109", position_type="1", rate="1", begin_date="2012-09-01")
    forged["organization_oid"] = "9.9.9.9"  # not in the directory
    pdf = {"document": ("приказ.pdf", documents.pdf(), "application/pdf")}
    refused = await _post(rig, form.action, forged, files=pdf)
    assert refused.status_code == 400
    assert "Выберите организацию из справочника." in refused.text
    no_section = await _post(rig, form.action, {**forged, "section": "passport"}, files=pdf)
    assert no_section.status_code == 404
    assert "Страница не найдена" in no_section.text


async def test_a_contact_is_changed_with_the_one_time_code(rig: Rig) -> None:
    await _sign_in(rig)
    page = await _get(rig, "/requests/new/contacts")
    form = find_form(page.text, action="/cabinet/requests")
    both = await _post(rig, form.action, form.fill(phone="+79990001122", email="new@example.test"))
    assert both.status_code == 400
    assert "Одна заявка — один контакт" in both.text

    sent = await _post(rig, form.action, form.fill(email="new.doctor@example.test"))
    assert sent.status_code == 303
    confirm_url = sent.headers["location"]
    assert re.fullmatch(r"/cabinet/requests/[0-9a-f-]{36}/confirm", confirm_url)
    code_page = await rig.browser.get(f"{rig.broker}{confirm_url}")
    assert "new.doctor@example.test" in code_page.text
    code_form = find_form(code_page.text, field="code")

    wrong = await _post(rig, code_form.action, code_form.fill(code="12345"))
    assert (wrong.status_code, _error_of(wrong.text, "code")) == (400, "Введите шесть цифр кода.")
    outbox = await rig.browser.get(f"{rig.broker}/_dev/outbox", params={"address": "new.doctor@example.test"})
    code = outbox.json()["messages"][0]["text"].split(": ")[1][:6]
    other = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await _post(rig, code_form.action, code_form.fill(code=other))
    assert (refused.status_code, _error_of(refused.text, "code")) == (400, "Код неверный или устарел.")

    done = await _post(rig, code_form.action, code_form.fill(code=code))
    assert done.status_code == 200
    assert "Контакт изменён" in done.text
    assert 'href="/cabinet/profile"' in done.text
    profile = await _get(rig, "/profile")
    assert "new.doctor@example.test" in profile.text
    again = await rig.browser.get(f"{rig.broker}{confirm_url}")
    assert "Эта заявка уже подтверждена или закрыта" in again.text


async def test_the_support_form_is_filled_from_the_record(rig: Rig) -> None:
    await _sign_in(rig)
    page = await _get(rig, "/support")
    assert page.status_code == 200
    form = find_form(page.text, action="/cabinet/support")
    assert {"name", "email", "snils"}.isdisjoint(form.inputs)  # known: shown, not typed, not posted
    assert re.search(r'id="name" value="Иванова Мария Петровна" readonly', page.text)
    assert re.search(r'id="email" value="doctor@example.test" readonly', page.text)
    assert re.search(r'id="snils" value="\*\*\*-\*\*\*-445 95" readonly', page.text)
    assert "112-233" not in page.text  # the SNILS is masked

    forged = form.fill(description="Не открывается выписка", problem_time="2026-12-07T10:00")
    forged |= {"name": "Кто-то другой", "snils": "000-000-000 00"}  # the record's values win
    sent = await _post(rig, form.action, forged, files={"screenshot": ("", b"", "application/octet-stream")})
    assert sent.status_code == 200, sent.text
    numbers = re.findall(r"SR-\d{4}-\d{6}", sent.text)
    assert len(numbers) == 1  # the number, once
    assert "Номер обращения" in sent.text
    assert "Код запроса" not in sent.text
    filed = await rig.browser.get(f"{rig.broker}/api/v1/support-requests/{numbers[0]}")
    assert filed.status_code == 404  # only its owner (by token) or the access key reads it


CABINET_PAGES = (
    "profile", "education", "work", "qualification", "service-length", "accreditation", "requests",
    "requests/new", "requests/new/workplace", "requests/new/education", "requests/new/contacts",
    "statements", "support", "sessions", "second-factor", "no-such-page",
)  # fmt: skip


async def test_every_cabinet_page_leads_back_to_the_cabinets_start(rig: Rig) -> None:
    landing = await _get(rig, "/")
    assert 'class="brand" href="/cabinet/"' in landing.text
    await _sign_in(rig)
    for slug in CABINET_PAGES:
        shown = await _get(rig, f"/{slug}")
        assert shown.status_code in (200, 404), (slug, shown.status_code)
        assert 'class="brand" href="/cabinet/"' in shown.text, slug
        assert f'href="{rig.broker}/cabinet/">Личный кабинет</a>' in shown.text, slug  # the footer's link
