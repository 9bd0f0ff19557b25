"""The broker's validation messages (English, for developers) in Russian, for the cabinet's pages.

One table of patterns serves the cabinet's own check before a form is sent and the
broker's problem+json field errors after; a message it does not know reads as a plain
request to check the value.
"""

from __future__ import annotations

import re

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError


def russian_errors(errors: list[FieldError]) -> dict[str, str]:
    """The broker's field errors (English, for developers) by field name, in Russian; the first per field."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field.removeprefix("fields."), russian(error.message))
    return found


_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^is required$", "Заполните это поле."),
        (r"^must be one of", "Выберите значение из списка."),
        (r"^must be a real date, not in the future$", "Дата не может быть позже сегодняшней."),
        (r"^must be a date", "Укажите дату."),
        (r"^must not be before begin_date$", "Дата окончания не может быть раньше даты начала."),
        (r"^must be a year from 1940 to (\d+)$", "Укажите год от 1940 до {0}."),
        (r"^must be a year$", "Укажите год цифрами."),
        (r"^must be from 0\.05 to 2\.0$|^must be a number$", "Ставка — число от 0,05 до 2."),
        (r"^at most (\d+) characters$", "Не больше {0} знаков."),
        (r"control characters", "Уберите служебные символы."),
        (r"^must be an OID", "OID — цифры, разделённые точками."),
        (r"^must be an OKTMO", "ОКТМО — 8 или 11 цифр."),
        (r"^must be a Russian phone number", "Телефон: +7 и десять цифр."),
        (r"^must be an e-mail address$", "Проверьте адрес электронной почты."),
        (r"^give a new phone or e-mail$", "Укажите новый телефон или новый адрес почты."),
        (r"^change one contact per request", "Одна заявка — один контакт: укажите или телефон, или почту."),
        (r"^attach at least one supporting document", "Приложите подтверждающий документ (PDF или JPEG)."),
        (r"^at most (\d+) documents$", "Не больше {0} документов."),
        (r"^no such item in your record$", "Такой записи в ваших сведениях нет."),
        (r"^must be the six-digit code$", "Введите шесть цифр кода."),
        (r"^the code is wrong or expired$", "Код неверный или устарел."),
        (r"SNILS|^a SNILS", "Проверьте СНИЛС: 11 цифр, контрольное число должно совпасть."),
        (r"^must be a licence", "Проверьте номер свидетельства."),
        (r"ISO 8601|^must lie between the years", "Укажите дату и время."),
        (r"^must be text", "Введите текст."),
    )
)


def russian(message: str) -> str:
    """One of the broker's validation messages in Russian; an unknown one as a plain request to check."""
    for pattern, text in _MESSAGES:
        found = pattern.search(message)
        if found:
            return text.format(*found.groups())
    return "Проверьте это значение."
