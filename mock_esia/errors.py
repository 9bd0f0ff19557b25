"""ESIA error codes and their texts, as ESIA returns them in ``error_description``.

``EsiaError`` carries the OAuth ``error`` value and the ESIA code; the web layer
renders it as a redirect to the client (``/v2/ac`` once the client and
redirect_uri are known) or as HTTP 400 JSON (``/v3/te``, REST).
"""

from __future__ import annotations

ESIA_MESSAGES: dict[str, str] = {
    "ESIA-007002": "Несоответствие сертификата и мнемоники информационной системы",
    "ESIA-007003": (
        "В запросе отсутствует обязательный параметр, запрос включает в себя неверное значение "
        "параметра или включает параметр несколько раз"
    ),
    "ESIA-007004": "Владелец ресурса или сервис авторизации отказал в предоставлении доступа",
    "ESIA-007005": "Система-клиент не имеет права запрашивать получение маркера доступа таким методом",
    "ESIA-007006": "Запрошенная область доступа (scope) указана неверно",
    "ESIA-007007": "Возникла неожиданная ошибка в работе сервиса авторизации",
    "ESIA-007008": (
        "Сервис авторизации в настоящее время не может выполнить запрос из-за большой нагрузки "
        "или технических работ на сервере"
    ),
    "ESIA-007009": "Сервис авторизации не поддерживает получение маркера доступа этим методом",
    "ESIA-007011": (
        "Предоставленный грант авторизации или маркер обновления недействителен, истек, отозван "
        "или выдан другой системе-клиенту"
    ),
    "ESIA-007013": "Запрос не содержит указания на область доступа (scope)",
    "ESIA-007014": "Запрос не содержит обязательного параметра",
    "ESIA-007015": "Неверное время запроса",
    "ESIA-007019": "Отсутствует разрешение на доступ",
    "ESIA-007023": "Указанный в запросе адрес возврата (redirect_uri) не зарегистрирован",
    "ESIA-007053": "Некорректно сформирован client_secret или сертификат системы-клиента неактивен",
    "ESIA-007055": "Вход в систему осуществляется с неподтвержденной учетной записью",
    "ESIA-008010": "Не удалось произвести аутентификацию системы-клиента",
}

OAUTH_ERROR: dict[str, str] = {
    "ESIA-007002": "invalid_request",
    "ESIA-007003": "invalid_request",
    "ESIA-007004": "access_denied",
    "ESIA-007005": "unauthorized_client",
    "ESIA-007006": "invalid_scope",
    "ESIA-007007": "server_error",
    "ESIA-007008": "temporarily_unavailable",
    "ESIA-007009": "unsupported_grant_type",
    "ESIA-007011": "invalid_grant",
    "ESIA-007013": "invalid_scope",
    "ESIA-007014": "invalid_request",
    "ESIA-007015": "invalid_request",
    "ESIA-007019": "access_denied",
    "ESIA-007023": "invalid_request",
    "ESIA-007053": "invalid_client",
    "ESIA-007055": "access_denied",
    "ESIA-008010": "invalid_client",
}


class EsiaError(Exception):
    """An ESIA protocol error; ``description`` is the exact ``ESIA-0070NN: text`` string."""

    def __init__(self, code: str, *, status_code: int = 400) -> None:
        if code not in ESIA_MESSAGES:
            raise ValueError(f"unknown ESIA error code {code}")
        super().__init__(code)
        self.code = code
        self.status_code = status_code

    @property
    def error(self) -> str:
        return OAUTH_ERROR[self.code]

    @property
    def description(self) -> str:
        return f"{self.code}: {ESIA_MESSAGES[self.code]}"

    def body(self, state: str | None = None) -> dict[str, str]:
        body = {"error": self.error, "error_description": self.description}
        if state:
            body["state"] = state
        return body
