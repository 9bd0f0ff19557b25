from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.registry.models import Employment, PositionType
from frmr_sso.registry.service_length import (
    Duration,
    InvalidPeriod,
    Period,
    add_months,
    calendar_duration,
    measure,
    merge,
    service_length,
)

TODAY = date(2026, 11, 26)


def job(
    begin: str,
    end: str | None = None,
    *,
    post: str = "109",
    kind: PositionType = PositionType.MAIN,
    rate: float = 1.0,
) -> Employment:
    return Employment(
        organization_oid="1.2.643.5.1.13.13.12.2.77.7871",
        organization_name="ГКБ № 1",
        post_id=post,
        post_name=f"post {post}",
        position_type=kind,
        rate=rate,
        begin_date=date.fromisoformat(begin),
        end_date=date.fromisoformat(end) if end else None,
    )


def test_a_calendar_year_is_one_year_in_leap_and_common_years() -> None:
    for begin, end, days in (("2023-01-01", "2023-12-31", 365), ("2024-01-01", "2024-12-31", 366)):
        length = service_length([job(begin, end)], TODAY).total
        assert (length.duration, length.calendar_days) == (Duration(1, 0, 0), days)


def test_an_anniversary_on_29_february_falls_on_28_february() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert calendar_duration(Period(date(2024, 2, 29), date(2025, 2, 27))) == Duration(1, 0, 0)
    assert calendar_duration(Period(date(2024, 2, 29), date(2028, 2, 28))) == Duration(4, 0, 0)
    assert calendar_duration(Period(date(2026, 1, 31), date(2026, 2, 27))) == Duration(0, 1, 0)


def test_overlapping_part_time_adds_nothing_beyond_the_main_job() -> None:
    main = job("2010-01-01", "2020-12-31")
    part_time = job("2015-03-01", "2019-06-30", kind=PositionType.EXTERNAL_PART_TIME, rate=0.25)
    report = service_length([main, part_time], TODAY)
    assert report.total.duration == Duration(11, 0, 0)
    assert report.total.periods == (Period(date(2010, 1, 1), date(2020, 12, 31)),)


def test_part_time_alone_counts_calendar_time_whatever_the_rate() -> None:
    alone = job("2021-01-01", "2021-06-30", kind=PositionType.INTERNAL_PART_TIME, rate=0.25)
    assert service_length([alone], TODAY).total.duration == Duration(0, 6, 0)


def test_a_gap_is_not_counted_and_days_add_up_to_months() -> None:
    report = service_length([job("2010-01-01", "2010-01-31"), job("2010-03-01", "2010-03-30")], TODAY)
    assert report.total.calendar_days == 31 + 30
    assert report.total.duration == Duration(0, 2, 0)  # 1 month + 30 days
    assert len(report.total.periods) == 2


def test_adjacent_periods_merge_into_one() -> None:
    report = service_length([job("2010-07-01", "2010-12-31"), job("2010-01-01", "2010-06-30")], TODAY)
    assert report.total.periods == (Period(date(2010, 1, 1), date(2010, 12, 31)),)
    assert report.total.duration == Duration(1, 0, 0)


def test_open_ended_job_counts_up_to_today_and_future_jobs_count_nothing() -> None:
    report = service_length([job("2020-11-27"), job("2027-01-01", post="118")], TODAY)
    assert report.total.duration == Duration(6, 0, 0)
    assert [p.post_id for p in report.by_post] == ["109"]
    ending_later = service_length([job("2025-11-27", "2030-01-01")], TODAY).total
    assert ending_later.duration == Duration(1, 0, 0)


def test_by_post_each_post_on_its_own() -> None:
    jobs = [
        job("2010-09-01", "2012-08-31", post="215"),
        job("2012-09-01", post="109"),
        job("2019-02-01", post="109", kind=PositionType.EXTERNAL_PART_TIME, rate=0.25),
    ]
    report = service_length(jobs, date(2022, 8, 31))
    posts = {p.post_id: p.length.duration for p in report.by_post}
    assert posts == {"215": Duration(2, 0, 0), "109": Duration(10, 0, 0)}
    assert report.total.duration == Duration(12, 0, 0)


def test_an_end_before_the_begin_names_the_field() -> None:
    with pytest.raises(InvalidPeriod) as raised:
        service_length([job("2010-01-01", "2011-01-01"), job("2012-05-01", "2012-04-30")], TODAY)
    assert raised.value.field == "employments[1].end_date"


def test_no_jobs_no_service() -> None:
    report = service_length([], TODAY)
    assert (report.total.duration, report.total.calendar_days, report.by_post) == (Duration(), 0, ())


days = st.dates(min_value=date(1996, 1, 1), max_value=date(2030, 12, 31))
periods = st.builds(lambda a, n: Period(a, a + timedelta(days=n)), days, st.integers(0, 900))


@given(st.lists(periods, max_size=8))
def test_merged_total_never_exceeds_the_sum_and_equals_the_covered_days(items: list[Period]) -> None:
    length = measure(items)
    assert length.calendar_days <= sum(p.days for p in items)
    covered = {p.begin.toordinal() + i for p in items for i in range(p.days)}
    assert length.calendar_days == len(covered)


@given(st.lists(periods, max_size=8), st.randoms(use_true_random=False))
def test_merging_is_idempotent_and_order_independent(items: list[Period], rnd: random.Random) -> None:
    once = merge(items)
    assert merge(once) == once
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert measure(shuffled) == measure(items)
    assert all(a.end + timedelta(days=1) < b.begin for a, b in itertools.pairwise(once))


@given(periods)
def test_a_calendar_duration_lands_exactly_on_the_day_after_the_end(period: Period) -> None:
    d = calendar_duration(period)
    assert 0 <= d.months < 12
    assert d.days >= 0
    landed = add_months(period.begin, d.years * 12 + d.months) + timedelta(days=d.days)
    assert landed == period.end + timedelta(days=1)
    assert add_months(period.begin, d.years * 12 + d.months + 1) > period.end + timedelta(days=1)
