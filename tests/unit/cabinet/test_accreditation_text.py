from __future__ import annotations

from typing import Any

import pytest

from frmr_sso.cabinet.accreditation_text import status_text

BODY: dict[str, Any] = {
    "accreditation_ends": "2029-06-20", "days_left": 926, "progress": 0.2432, "expected_progress": 0.4871,
    "requirement_met": False, "hours_needed": 126, "hours_with_credits_needed": 56, "credits_needed": 30,
}


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_behind_names_the_shortfall_and_the_date() -> None:
    found = status_text({**BODY, "status": "behind"})
    assert found is not None
    headline, text = found
    assert headline == "Отстаёте от графика"
    assert "Выполнено 24 %, а по графику к сегодняшнему дню нужно 49 %" in _plain(text)
    assert "до 20.06.2029 (осталось 926 дней)" in _plain(text)
    assert "126 ч курсов или 56 ч курсов и 30 ЗЕТ на портале НМО" in _plain(text)


def test_on_track_never_claims_the_requirement_is_met_when_it_is_not() -> None:
    found = status_text({**BODY, "status": "on_track", "progress": 0.6, "days_left": 1})
    assert found is not None
    assert found[0] == "Вы в графике"
    assert "будет выполнено" not in found[1]
    assert "осталось 1 день" in _plain(found[1])


@pytest.mark.parametrize(
    ("status", "words"),
    [("at_risk", "меньше года"), ("expired", "закончился 20.06.2029"), ("none", "нет записей")],
)
def test_other_statuses(status: str, words: str) -> None:
    found = status_text({**BODY, "status": status})
    assert found is not None
    assert words in _plain(found[0] + " " + found[1])


def test_a_met_requirement_says_so_and_an_unknown_status_says_nothing() -> None:
    met = status_text({**BODY, "status": "on_track", "requirement_met": True, "credits_needed": 0})
    assert met is not None
    assert "выполнено" in met[1]
    assert status_text({**BODY, "status": "something"}) is None
