from __future__ import annotations

from datetime import date

import pytest

from frmr_sso.registry.demo import person_from_dict
from frmr_sso.registry.models import Employment, PositionType
from frmr_sso.registry.validation import InvalidRecord

JOB = Employment("1.2.3", "ГКБ", "109", "врач", PositionType.MAIN, 1.0, date(2020, 1, 1), date(2020, 12, 31))


@pytest.mark.parametrize(
    ("today", "current"),
    [
        (date(2019, 12, 31), False),
        (date(2020, 1, 1), True),
        (date(2020, 12, 31), True),
        (date(2021, 1, 1), False),
    ],
)
def test_employment_is_current_between_its_dates_inclusive(today: date, current: bool) -> None:
    assert JOB.is_current(today) is current


def test_person_from_dict_normalises_snils_and_refuses_a_wrong_one() -> None:
    entry = {"frmr_id": "F1", "snils": "112-233-445 95", "last_name": "И", "first_name": "М"}
    assert person_from_dict(entry).snils == "11223344595"
    with pytest.raises(InvalidRecord, match="snils: the SNILS control number does not match"):
        person_from_dict({**entry, "snils": "112-233-445 96"})
