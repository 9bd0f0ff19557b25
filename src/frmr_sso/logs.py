"""JSON log lines with the request id, and a filter that keeps secrets out.

Every record passes through ``RedactingFilter``: SNILS-shaped numbers are
masked (``***-***-445 95``) and values of sensitive fields (password, code,
token, secret …) are replaced, whether they arrive in the message or in
``extra``. Shared by the broker and mock ESIA.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

NO_REQUEST = "-"  # the request id outside any request
request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)

# separators as typed, and as a URL query encodes a space ("+", "%20")
_SNILS = re.compile(r"(?<!\d)(\d{3})(?:[- +]|%20)?(\d{3})(?:[- +]|%20)?(\d{3})(?:[- +]|%20)?(\d{2})(?!\d)")
_SENSITIVE = re.compile(
    r"(?i)\b(password|passwd|pwd|code|otp|totp|token|access_token|refresh_token|id_token|"
    r"client_secret|secret|authorization|cookie|snils)\b([\"']?\s*[=:]\s*[\"']?)([^\s&,;\"']+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
SENSITIVE_KEYS = frozenset(
    {
        "password", "new_password", "passwd", "code", "otp", "totp", "token", "access_token",
        "refresh_token", "id_token", "client_secret", "secret", "authorization", "cookie", "snils",
    }
)
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def mask_snils(text: str) -> str:
    return _SNILS.sub(lambda m: f"***-***-{m.group(3)} {m.group(4)}", text)


def redact(text: str) -> str:
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    return mask_snils(_SENSITIVE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text))


def _clean(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS:
        return "***"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _clean(key, value))
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in line:
                line[key] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info).splitlines()[-1])
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
