"""Strict request-parameter parsing: what ESIA refuses as ESIA-007003."""

from __future__ import annotations

import pytest

from mock_esia.params import MalformedParameters, is_uuid, missing, parse_parameters


def test_plain_parameters_and_empty_values_count_as_absent() -> None:
    params = parse_parameters("a=1&b=&c=%D0%AF+x", max_length=10)
    assert params == {"a": "1", "c": "Я x"}
    assert missing(params, ("a", "b", "c", "d")) == ["b", "d"]


def test_bytes_are_decoded_as_utf8() -> None:
    assert parse_parameters(b"scope=openid+fullname", max_length=100) == {"scope": "openid fullname"}


@pytest.mark.parametrize(
    "raw",
    [
        "a=1&a=2",
        "a=1&a=1",
        "a=&a=1",
        "a=" + "x" * 11,
        "a=%FF",
        "a=%00",
        "a=line%0Abreak",
        "%0A=1",
        "&".join(f"p{i}=1" for i in range(65)),
        "x" * 11 * 64 + "x",
    ],
)
def test_refused(raw: str) -> None:
    with pytest.raises(MalformedParameters) as caught:
        parse_parameters(raw, max_length=10)
    assert caught.value.code == "ESIA-007003"


def test_invalid_utf8_body() -> None:
    with pytest.raises(MalformedParameters):
        parse_parameters(b"a=\xff", max_length=10)


def test_state_is_kept_for_the_echo_when_sent_once() -> None:
    with pytest.raises(MalformedParameters) as caught:
        parse_parameters("state=s1&a=1&a=2", max_length=10)
    assert caught.value.state == "s1"
    with pytest.raises(MalformedParameters) as caught:
        parse_parameters("state=s1&state=s2", max_length=10)
    assert caught.value.state is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1e1f6a0c-3b7e-4b8a-9c1d-2f3e4a5b6c7d", True),
        ("1E1F6A0C-3B7E-4B8A-9C1D-2F3E4A5B6C7D", True),
        ("1e1f6a0c3b7e4b8a9c1d2f3e4a5b6c7d", False),
        ("{1e1f6a0c-3b7e-4b8a-9c1d-2f3e4a5b6c7d}", False),
        ("1e1f6a0c-3b7e-4b8a-9c1d-2f3e4a5b6c7", False),
        ("state", False),
        ("", False),
    ],
)
def test_is_uuid(value: str, expected: bool) -> None:
    assert is_uuid(value) is expected
