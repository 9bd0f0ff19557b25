"""What each scope shares, in Russian: one table for the consent page and the cabinet's «Доступ приложений».

A scope the table does not know is named by its code with a general description, so a
page never hides what a client asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScopeLabel:
    scope: str
    title: str
    shares: str


UNKNOWN = "дополнительные сведения, которые запрашивает приложение"
SCOPE_LABELS: dict[str, tuple[str, str]] = {
    "openid": ("Вход через ФРМР", "постоянный идентификатор вашей учётной записи и способ входа"),
    "profile": ("Личные данные", "фамилия, имя, отчество, дата рождения и пол"),
    "snils": ("СНИЛС", "номер СНИЛС"),
    "frmr": (
        "Сведения о квалификации из ФРМР",
        "ваш номер в ФРМР, организации, в которых вы работаете, и занимаемые должности",
    ),
    "offline_access": (
        "Доступ без вашего участия",
        "приложение сможет получать эти сведения, пока вы не отзовёте доступ, даже когда вы не в сети",
    ),
    "account.sessions": ("Сеансы входа", "список ваших сеансов и их завершение"),
    "frmr.documents": ("Документы", "сведения о документах, удостоверяющих личность"),
    "frmr.registry.read": ("Чтение реестра ФРМР", "сведения реестра о медицинских работниках"),
    "frmr.admin": ("Администрирование ФРМР", "изменение сведений реестра"),
    "audit.read": ("Журнал аудита", "записи журнала событий сервиса входа"),
    "admin": ("Администрирование сервиса входа", "управление приложениями и ключами"),
}


def scope_label(scope: str) -> ScopeLabel:
    title, shares = SCOPE_LABELS.get(scope, (scope, UNKNOWN))
    return ScopeLabel(scope, title, shares)


def scope_labels(scopes: Iterable[str]) -> list[ScopeLabel]:
    return [scope_label(s) for s in dict.fromkeys(scopes)]
