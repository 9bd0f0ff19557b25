from __future__ import annotations

import io
import json
import logging

import pytest

from frmr_sso.logs import JsonFormatter, RedactingFilter, mask_snils, redact, request_id_var


def test_mask_snils_keeps_only_the_last_digits() -> None:
    assert mask_snils("person 112-233-445 95 logged in") == "person ***-***-445 95 logged in"
    assert mask_snils("11223344595") == "***-***-445 95"


def test_mask_snils_in_a_url_query() -> None:
    assert mask_snils("GET /_dev/outbox?login=112-233-445+95") == "GET /_dev/outbox?login=***-***-445 95"
    assert mask_snils("?login=112%20233%20445%2095&x=1") == "?login=***-***-445 95&x=1"


@pytest.mark.parametrize(
    "text",
    [
        "password=Vrach-2026-Demo!",
        "code: 123456",
        'client_secret="abc.def"',
        "refresh_token=opaque-value",
        "Authorization: Bearer abc.def-ghi",
    ],
)
def test_redact_hides_sensitive_values(text: str) -> None:
    cleaned = redact(text)
    assert cleaned.endswith("***") or "***" in cleaned
    for secret in ("Vrach-2026-Demo!", "123456", "abc.def", "opaque-value", "abc.def-ghi"):
        assert secret not in cleaned


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_request_id_and_no_secrets() -> None:
    logger, stream = _capture()
    token = request_id_var.set("req-12345678")
    try:
        logger.info("login for %s", "112-233-445 95", extra={"password": "hunter2", "client_id": "demo-web"})
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-12345678"
    assert line["message"] == "login for ***-***-445 95"
    assert line["password"] == "***"
    assert line["client_id"] == "demo-web"
    assert "hunter2" not in stream.getvalue()


def test_exceptions_are_summarised_without_traceback() -> None:
    logger, stream = _capture()
    try:
        raise ValueError("bad snils 112-233-445 95")
    except ValueError as exc:
        logger.error("failed", exc_info=exc)
    line = json.loads(stream.getvalue())
    assert "Traceback" not in stream.getvalue()
    assert line["error"] == "ValueError: bad snils ***-***-445 95"
