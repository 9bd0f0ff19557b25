"""Length of service (стаж) from the FRMR employment periods: in total and per post.

The rule implemented here, and where it comes from:

1. Calendar order. A period counts the calendar days from its begin date to its
   end date, both inclusive, whatever the rate or the position type: a 0.25 rate
   counts the same calendar time as a full one (стаж is calendar time worked,
   not hours; «Правила подсчёта и подтверждения страхового стажа», утв.
   постановлением Правительства РФ от 02.10.2014 № 1015, п. 47 — «исчисление
   периодов работы производится в календарном порядке из расчёта полного года»).
2. Simultaneous periods count once (ст. 13 Федерального закона от 28.12.2013
   № 400-ФЗ: при совпадении по времени периодов учитывается один из них). The
   periods are merged per calendar day, so internal and external part-time and
   combination positions (types 2, 3, 4) add nothing while the main job (or any
   other job) covers the same days; alone, they count like any job.
3. Each merged run of days is measured calendar-wise as years, months and days
   (full months by day-of-month arithmetic; an anniversary on a day a month lacks,
   the 31st or 29 February, falls on that month's last day), and the runs are
   added up: every 30 days make a month, every 12 months a year (п. 47 again).
4. An open-ended (current) job counts up to ``today`` inclusive; nothing after
   ``today`` counts, and a job that begins later counts nothing yet.

By speciality: the same computation over the periods of each post (NSI 1102 post).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from frmr_sso.registry.models import Employment

ONE_DAY = timedelta(days=1)


class InvalidPeriod(ValueError):
    """An employment period that cannot count; ``field`` names the offending one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """Calendar days ``begin``..``end``, both inclusive."""

    begin: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.begin).days + 1


@dataclass(frozen=True, slots=True)
class Duration:
    years: int = 0
    months: int = 0
    days: int = 0

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.years + other.years, self.months + other.months, self.days + other.days)

    def normalized(self) -> Duration:
        """30 days make a month, 12 months a year."""
        months = self.months + self.days // 30
        return Duration(self.years + months // 12, months % 12, self.days % 30)


@dataclass(frozen=True, slots=True)
class ServiceLength:
    duration: Duration
    calendar_days: int
    periods: tuple[Period, ...]


@dataclass(frozen=True, slots=True)
class PostServiceLength:
    post_id: str
    post_name: str
    length: ServiceLength


@dataclass(frozen=True, slots=True)
class ServiceReport:
    today: date
    total: ServiceLength
    by_post: tuple[PostServiceLength, ...]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the day of month is clamped to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - ONE_DAY).day))


def calendar_duration(period: Period) -> Duration:
    """Years, months and days from ``period.begin`` to the day after ``period.end``."""
    stop = period.end + ONE_DAY
    months = (stop.year - period.begin.year) * 12 + stop.month - period.begin.month
    if add_months(period.begin, months) > stop:
        months -= 1
    days = (stop - add_months(period.begin, months)).days
    return Duration(months // 12, months % 12, days)


def merge(periods: Iterable[Period]) -> tuple[Period, ...]:
    """The union of ``periods`` as disjoint, non-adjacent runs in date order."""
    merged: list[Period] = []
    for period in sorted(periods):
        if merged and period.begin <= merged[-1].end + ONE_DAY:
            last = merged[-1]
            merged[-1] = Period(last.begin, max(last.end, period.end))
        else:
            merged.append(period)
    return tuple(merged)


def measure(periods: Iterable[Period]) -> ServiceLength:
    runs = merge(periods)
    total = sum((calendar_duration(run) for run in runs), Duration())
    return ServiceLength(total.normalized(), sum(run.days for run in runs), runs)


def period_of(job: Employment, today: date, *, index: int = 0) -> Period | None:
    """The days of ``job`` up to ``today``; None when it has not begun yet."""
    if job.end_date is not None and job.end_date < job.begin_date:
        raise InvalidPeriod(f"employments[{index}].end_date", "the end date is before the begin date")
    if job.begin_date > today:
        return None
    end = today if job.end_date is None else min(job.end_date, today)
    return Period(job.begin_date, end)


def service_length(employments: Sequence[Employment], today: date) -> ServiceReport:
    """Total length of service and the length per post, as of ``today`` (inclusive)."""
    dated = [(job, period_of(job, today, index=i)) for i, job in enumerate(employments)]
    counted = [(job, period) for job, period in dated if period is not None]
    posts: dict[str, tuple[str, list[Period]]] = {}
    for job, period in counted:
        posts.setdefault(job.post_id, (job.post_name, []))[1].append(period)
    by_post = tuple(
        PostServiceLength(post_id, name, measure(periods))
        for post_id, (name, periods) in sorted(posts.items(), key=lambda item: item[1][0])
    )
    return ServiceReport(today, measure(period for _, period in counted), by_post)
