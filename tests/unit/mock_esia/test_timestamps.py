"""ESIA timestamps: ``yyyy.MM.dd HH:mm:ss Z`` and the allowed drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mock_esia.errors import EsiaError
from mock_esia.timestamps import check_timestamp, format_timestamp, parse_timestamp

MSK = timezone(timedelta(hours=3))
NOW = datetime(2024, 5, 17, 11, 36, 11, tzinfo=UTC)


def test_parses_the_documented_example() -> None:
    moment = parse_timestamp("2024.05.17 14:36:11 +0300")
    assert moment == NOW
    assert moment is not None
    assert moment.utcoffset() == timedelta(hours=3)


def test_format_matches_java_pattern_and_round_trips() -> None:
    text = format_timestamp(NOW.astimezone(MSK))
    assert text == "2024.05.17 14:36:11 +0300"
    assert parse_timestamp(text) == NOW
    assert format_timestamp(NOW) == "2024.05.17 11:36:11 +0000"


def test_format_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_timestamp(datetime(2024, 5, 17, 14, 36, 11))


@pytest.mark.parametrize(
    "raw",
    [
        "2024.05.17 14:36:11  0300",  # "+" not percent-encoded in the query string
        "2024.05.17 14:36:11 0300",
        "2024.05.17 14:36:11",
        "2024-05-17 14:36:11 +0300",
        "2024.05.17T14:36:11 +0300",
        "2024.05.17 14:36:11 +03:00",
        "2024.02.30 14:36:11 +0300",
        "2024.05.17 25:36:11 +0300",
        "17.05.2024 14:36:11 +0300",
        " 2024.05.17 14:36:11 +0300",
        "2024.05.17 14:36:11 +0300\n",
        "",
    ],
)
def test_malformed_is_007003(raw: str) -> None:
    assert parse_timestamp(raw) is None
    with pytest.raises(EsiaError) as caught:
        check_timestamp(raw, drift_seconds=300, now=NOW)
    assert caught.value.code == "ESIA-007003"


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 3600])
def test_beyond_drift_is_007015_both_ways(offset: int) -> None:
    raw = format_timestamp((NOW + timedelta(seconds=offset)).astimezone(MSK))
    with pytest.raises(EsiaError) as caught:
        check_timestamp(raw, drift_seconds=300, now=NOW)
    assert caught.value.code == "ESIA-007015"
    assert caught.value.description == "ESIA-007015: Неверное время запроса"


@pytest.mark.parametrize("offset", [-300, -1, 0, 299, 300])
def test_within_drift_passes_in_any_zone(offset: int) -> None:
    moment = NOW + timedelta(seconds=offset)
    for zone in (UTC, MSK, timezone(timedelta(hours=-5, minutes=-30))):
        raw = format_timestamp(moment.astimezone(zone))
        assert check_timestamp(raw, drift_seconds=300, now=NOW) == moment


def test_defaults_to_the_current_clock() -> None:
    assert check_timestamp(format_timestamp(datetime.now(UTC)), drift_seconds=5)
