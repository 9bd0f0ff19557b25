"""One table of Russian names for every enumerated value a person sees, for pages and documents alike.

``ENUMS`` maps an enumeration (``category``, ``position_type``, ``accreditation_kind``,
…) to its codes and their names. ``FIELDS`` says which enumeration a JSON field
holds, so a page that shows the broker's API answers generically (``enum_label``)
and a statement PDF name a value the same way. ``kind`` depends on the section
(an accreditation, a document, an education, a course): its codes do not collide,
so one lookup over every kind table answers it. ``technical_reason`` turns the
broker's English refusal reasons into Russian for its pages.
"""

from __future__ import annotations

import re

from frmr_sso.cabinet_backend.change_requests.model import STATUS_LABELS as CHANGE_REQUEST_STATUSES
from frmr_sso.cabinet_backend.support.model import STATUS_LABELS as SUPPORT_STATUSES
from frmr_sso.registry.directories import directories

ENUMS: dict[str, dict[str, str]] = {
    "accreditation_kind": {
        "primary": "первичная",
        "primary_specialised": "первичная специализированная",
        "periodic": "периодическая",
    },
    "document_kind": {
        "RF_PASSPORT": "паспорт гражданина РФ",
        "FOREIGN_PASSPORT": "паспорт иностранного гражданина",
        "MILITARY_ID": "военный билет",
        "BIRTH_CERTIFICATE": "свидетельство о рождении",
        "OTHER": "иной документ",
    },
    "category": {"second": "вторая", "first": "первая", "highest": "высшая"},
    "position_type": {
        "1": "основное место работы",
        "2": "внутреннее совместительство",
        "3": "совмещение",
        "4": "внешнее совместительство",
    },
    "gender": {"M": "мужской", "F": "женский", "male": "мужской", "female": "женский"},
    "section": {"workplace": "Место работы", "education": "Образование", "contacts": "Контакты"},
    "change_request_status": {str(k): v for k, v in CHANGE_REQUEST_STATUSES.items()},
    "support_status": {str(k): v for k, v in SUPPORT_STATUSES.items()},
    "statement_status": {"pending": "готовится", "ready": "готов", "failed": "не удалось сформировать"},
    "statement_kind": {
        "extract": "Выписка из ФРМР",
        "activity-certificate": "Справка о профессиональной деятельности",
    },
    "accreditation_status": {
        "on_track": "В графике",
        "behind": "Отстаёте от графика",
        "at_risk": "Отстаёте от графика, до конца срока меньше года",
        "expired": "Аккредитация истекла",
        "none": "Аккредитация не найдена",
    },
}
FIELDS = {
    "category": "category",
    "position_type": "position_type",
    "gender": "gender",
    "section": "section",
}
_KIND_TABLES = ("accreditation_kind", "document_kind")


def kinds() -> dict[str, str]:
    """Every ``kind`` code with its name: accreditations, documents and the directories' kinds."""
    found = {code: name for table in _KIND_TABLES for code, name in ENUMS[table].items()}
    for group in directories().kinds.values():
        found.update(group)
    return found


def label_of(enum: str, code: object) -> str:
    """The Russian name of ``code`` in ``enum``; an unknown code is shown as it is."""
    return ENUMS[enum].get(str(code), str(code))


def enum_label(field: str, code: object) -> str | None:
    """The name of the value of a JSON ``field`` that holds an enumeration, or None for other fields."""
    if field == "kind":
        return kinds().get(str(code), str(code))
    enum = FIELDS.get(field)
    return None if enum is None else label_of(enum, code)


def codes() -> set[str]:
    """Every code of every table: what a Russian page must never show bare."""
    return {code for table in ENUMS.values() for code in table} | set(kinds())


_REASONS = (
    (re.compile(r"^unknown client_id$"), "приложение не зарегистрировано в сервисе"),
    (re.compile(r"redirect_uri"), "адрес возврата не зарегистрирован для приложения"),
    (re.compile(r"id_token_hint"), "приложение передало чужой или неверный идентификационный токен"),
    (re.compile(r"^parameter (\S+) is repeated$"), "параметр {0} передан несколько раз"),
    (re.compile(r"^parameter (\S+) is too long$"), "параметр {0} слишком длинный"),
    (re.compile(r"^parameter (\S+) is missing$"), "не передан параметр {0}"),
    (re.compile(r"code_challenge"), "приложение не передало верные параметры PKCE"),
    (re.compile(r"prompt|max_age|response_mode"), "приложение передало неверные параметры входа"),
)


def technical_reason(reason: str | None) -> str | None:
    """The broker's refusal ``reason`` (English, for developers) in Russian, for its pages."""
    if not reason:
        return None
    for pattern, text in _REASONS:
        found = pattern.search(reason)
        if found:
            return text.format(*found.groups())
    return "запрос приложения составлен неверно"
