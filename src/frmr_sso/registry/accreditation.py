"""Continuing education toward periodic accreditation: the five-year cycle and the worker's status.

The requirement (ESIA.md, "FRMR record"): within the five years that follow the
last accreditation, at least 144 hours of qualification courses, or at least 74
hours of courses plus 70 credits (ЗЕТ) of portal activities.

- The cycle begins on the last accreditation's pass date and ends on its end
  date (pass date + 5 years when the record has none); courses and credits count
  when completed within the cycle, up to ``today``.
- Hours are those of every qualification course; credits (ЗЕТ) count only from
  portal activities (courses of kind ``continuing``, the НМО portal's
  modules): the credits a course also carries are its hours again, and would
  count them twice.
- Progress is the better of the two routes, from 0 to 1: ``hours / 144``, or
  ``min(hours / 74, credits / 70)``; the requirement is met when either route is.
- Status: ``expired`` once the end date has passed; ``on_track`` when the
  requirement is met or progress is at least the pro-rata share of the cycle
  already elapsed (``elapsed days / cycle days``); otherwise ``behind`` while
  more than a year is left and ``at_risk`` when under a year is. ``none`` when
  there is no accreditation on file.
- What is still needed: ``hours_needed`` for the courses-only route (144 h), and
  ``hours_with_credits_needed`` with ``credits_needed`` for the other one
  (74 h plus 70 ЗЕТ); all zero once the requirement is met.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal, Protocol

from frmr_sso.registry.labels import label_of
from frmr_sso.registry.service_length import add_months

CYCLE_YEARS = 5
HOURS_ONLY = 144
HOURS_WITH_CREDITS = 74
CREDITS = 70
AT_RISK_DAYS = 365


PORTAL_KIND = "continuing"


class CourseLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def hours(self) -> int: ...
    @property
    def credits(self) -> int: ...
    @property
    def end_date(self) -> date: ...


class AccreditationStatus(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AT_RISK = "at_risk"
    EXPIRED = "expired"
    NONE = "none"




@dataclass(frozen=True, slots=True)
class Accreditation:
    speciality: str
    pass_date: date
    end_date: date | None = None

    @property
    def ends_on(self) -> date:
        return self.end_date or add_months(self.pass_date, 12 * CYCLE_YEARS)


@dataclass(frozen=True, slots=True)
class Activity:
    """A completed course (``hours``) or portal activity (``credits``, ЗЕТ)."""

    kind: Literal["hours", "credits"]
    amount: int
    completed_on: date


@dataclass(frozen=True, slots=True)
class CycleStatus:
    status: AccreditationStatus
    speciality: str | None = None
    cycle_begin: date | None = None
    ends_on: date | None = None
    hours: int = 0
    credits: int = 0
    progress: float = 0.0
    expected: float = 0.0
    met: bool = False
    days_left: int = 0
    hours_needed: int = 0
    hours_with_credits_needed: int = 0
    credits_needed: int = 0

    @property
    def label(self) -> str:
        return label_of("accreditation_status", self.status)


def activities(courses: Iterable[CourseLike]) -> list[Activity]:
    """Hours of every course, credits of portal activities only (see the module docstring)."""
    found = [Activity("hours", c.hours, c.end_date) for c in courses if c.hours > 0]
    return found + [
        Activity("credits", c.credits, c.end_date) for c in courses if c.kind == PORTAL_KIND and c.credits > 0
    ]


def progress(hours: int, credits: int) -> float:
    routes = (hours / HOURS_ONLY, min(hours / HOURS_WITH_CREDITS, credits / CREDITS))
    return min(1.0, max(routes))


def latest(accreditations: Sequence[Accreditation]) -> Accreditation | None:
    return max(accreditations, key=lambda a: a.pass_date, default=None)


def cycle_status(
    accreditations: Sequence[Accreditation], activities: Sequence[Activity], today: date
) -> CycleStatus:
    """The status of the cycle of the most recent accreditation, as of ``today``."""
    current = latest(accreditations)
    if current is None:
        return CycleStatus(AccreditationStatus.NONE)
    begin, end = current.pass_date, current.ends_on
    counted = [a for a in activities if begin <= a.completed_on <= min(end, today)]
    hours = sum(a.amount for a in counted if a.kind == "hours")
    credits = sum(a.amount for a in counted if a.kind == "credits")
    done = progress(hours, credits)
    total_days = max(1, (end - begin).days)
    expected = min(1.0, max(0.0, (today - begin).days / total_days))
    days_left = (end - today).days
    met = done >= 1.0
    if today > end:
        status = AccreditationStatus.EXPIRED
    elif met or done >= expected:
        status = AccreditationStatus.ON_TRACK
    elif days_left < AT_RISK_DAYS:
        status = AccreditationStatus.AT_RISK
    else:
        status = AccreditationStatus.BEHIND
    with_credits = (0, 0) if met else (max(0, HOURS_WITH_CREDITS - hours), max(0, CREDITS - credits))
    return CycleStatus(
        status,
        current.speciality,
        begin,
        end,
        hours,
        credits,
        round(done, 4),
        round(expected, 4),
        met,
        max(0, days_left),
        0 if met else max(0, HOURS_ONLY - hours),
        *with_credits,
    )
