from __future__ import annotations

from datetime import date

import pytest

from frmr_sso.registry.accreditation import (
    Accreditation,
    AccreditationStatus,
    Activity,
    cycle_status,
    progress,
)

PASSED = Accreditation("Терапия", date(2022, 6, 1))


def hours(n: int, on: str = "2023-03-01") -> Activity:
    return Activity("hours", n, date.fromisoformat(on))


def credits(n: int, on: str = "2023-03-01") -> Activity:
    return Activity("credits", n, date.fromisoformat(on))


def test_the_cycle_ends_five_years_after_the_pass_date_unless_the_record_says() -> None:
    assert cycle_status([PASSED], [], date(2023, 1, 1)).ends_on == date(2027, 6, 1)
    explicit = Accreditation("Терапия", date(2022, 6, 1), date(2027, 5, 31))
    assert cycle_status([explicit], [], date(2023, 1, 1)).ends_on == date(2027, 5, 31)


@pytest.mark.parametrize(
    ("activities", "met"),
    [
        ([hours(144)], True),
        ([hours(143)], False),
        ([hours(74), credits(70)], True),
        ([hours(73), credits(200)], False),
        ([hours(100), credits(69)], False),
        ([hours(36), hours(38), credits(35), credits(35)], True),
    ],
)
def test_either_route_meets_the_requirement(activities: list[Activity], met: bool) -> None:
    status = cycle_status([PASSED], activities, date(2027, 5, 31))
    assert status.met is met
    assert status.status is (AccreditationStatus.ON_TRACK if met else AccreditationStatus.AT_RISK)


def test_only_activities_within_the_cycle_and_up_to_today_count() -> None:
    before, inside, future = hours(100, "2022-05-31"), hours(50, "2022-06-01"), hours(100, "2026-01-01")
    status = cycle_status([PASSED], [before, inside, future], date(2025, 1, 1))
    assert (status.hours, status.credits) == (50, 0)


def test_the_latest_accreditation_sets_the_cycle() -> None:
    older, newer = Accreditation("Терапия", date(2016, 6, 1)), Accreditation("Кардиология", date(2021, 6, 1))
    status = cycle_status([newer, older], [], date(2022, 1, 1))
    assert (status.speciality, status.cycle_begin) == ("Кардиология", date(2021, 6, 1))


# PASSED: 2022-06-01 .. 2027-06-01, 1826 days. On 2024-12-01 914 days (50 %) have passed;
# on 2026-06-02 1462 days (80 %) have passed and 364 are left.
@pytest.mark.parametrize(
    ("case", "acts", "today", "status", "needed"),
    [
        ("ahead, more than a year left", [hours(80)], "2024-12-01", "on_track", (64, 0, 70)),
        ("exactly the share", [hours(72)], "2024-11-30", "on_track", (72, 2, 70)),
        ("behind, more than a year left", [hours(36)], "2024-12-01", "behind", (108, 38, 70)),
        ("behind, nothing done, more than a year left", [], "2026-05-31", "behind", (144, 74, 70)),
        ("behind, under a year left", [hours(110)], "2026-06-02", "at_risk", (34, 0, 70)),
        ("ahead, under a year left", [hours(120)], "2026-06-02", "on_track", (24, 0, 70)),
        ("74 h + 70 ZET met", [hours(74), credits(70)], "2024-12-01", "on_track", (0, 0, 0)),
        ("74 h + 35 ZET: credits lag", [hours(74), credits(35)], "2024-12-01", "on_track", (70, 0, 35)),
        ("74 h + 20 ZET, under a year", [hours(74), credits(20)], "2026-06-02", "at_risk", (70, 0, 50)),
        ("144 h met", [hours(144)], "2023-06-01", "on_track", (0, 0, 0)),
        ("expired", [hours(36)], "2027-06-02", "expired", (108, 38, 70)),
        ("expired although met", [hours(144)], "2027-06-02", "expired", (0, 0, 0)),
        ("the last day", [], "2027-06-01", "at_risk", (144, 74, 70)),
    ],
)
def test_on_track_only_at_or_above_the_pro_rata_share(
    case: str, acts: list[Activity], today: str, status: str, needed: tuple[int, int, int]
) -> None:
    found = cycle_status([PASSED], acts, date.fromisoformat(today))
    assert found.status.value == status, case
    assert (found.hours_needed, found.hours_with_credits_needed, found.credits_needed) == needed, case


def test_behind_is_labelled_as_such_and_days_left_are_counted() -> None:
    found = cycle_status([PASSED], [], date(2026, 5, 31))
    assert (found.status, found.days_left) == (AccreditationStatus.BEHIND, 366)
    assert found.label == "Отстаёте от графика"
    assert found.progress < found.expected


def test_after_the_end_date_it_is_expired_even_when_met() -> None:
    status = cycle_status([PASSED], [hours(144)], date(2027, 6, 2))
    assert status.status is AccreditationStatus.EXPIRED
    assert status.met
    assert status.days_left == 0


def test_no_accreditation_on_file() -> None:
    status = cycle_status([], [hours(144)], date(2026, 1, 1))
    assert status.status is AccreditationStatus.NONE
    assert status.label == "Аккредитация не найдена"


def test_progress_is_the_better_route_capped_at_one() -> None:
    assert progress(72, 0) == 0.5
    assert progress(37, 35) == 0.5
    assert progress(500, 500) == 1.0


def test_credits_come_from_portal_activities_only() -> None:
    from dataclasses import dataclass

    from frmr_sso.registry.accreditation import activities

    @dataclass
    class Course:
        kind: str
        hours: int
        credits: int
        end_date: date

    found = activities(
        [Course("advanced", 36, 36, date(2023, 1, 1)), Course("continuing", 0, 40, date(2023, 2, 1))]
    )
    assert found == [Activity("hours", 36, date(2023, 1, 1)), Activity("credits", 40, date(2023, 2, 1))]
