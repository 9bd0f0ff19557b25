"""What the accreditation page says about the status: a headline and what to do, from the broker's numbers.

The broker computes the status (on track only at or above the pro-rata share of
the five-year cycle); this module words it, naming the hours and credits (ЗЕТ)
still needed and the date they are needed by.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from frmr_sso.registry.ru_format import plural

HEADLINES = {
    "on_track": "Вы в графике",
    "behind": "Отстаёте от графика",
    "at_risk": "Отстаёте от графика: до конца срока меньше года",
    "expired": "Срок аккредитации истёк",
    "none": "Сведений об аккредитации нет",
}


def _date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return "окончания срока"


def _percent(value: Any) -> str:
    return f"{round(float(value or 0) * 100)}\u00a0%"


def still_needed(body: dict[str, Any]) -> str:
    """«126 ч курсов или 56 ч курсов и 30 ЗЕТ на портале НМО»."""
    hours, with_credits, credits = (
        int(body.get(k) or 0) for k in ("hours_needed", "hours_with_credits_needed", "credits_needed")
    )
    second = f"{with_credits}\u00a0ч курсов и {credits}\u00a0ЗЕТ" if with_credits else f"{credits}\u00a0ЗЕТ"
    return f"{hours}\u00a0ч курсов или {second} на портале НМО"


def _days(n: int) -> str:
    return f"{n}\u00a0{plural(n, 'день', 'дня', 'дней')}"


def status_text(body: dict[str, Any]) -> tuple[str, str] | None:
    status = str(body.get("status"))
    if status not in HEADLINES:
        return None
    ends, left = _date(body.get("accreditation_ends")), int(body.get("days_left") or 0)
    done, due = _percent(body.get("progress")), _percent(body.get("expected_progress"))
    if status == "expired":
        text = (
            f"Срок аккредитации закончился {ends}. Без действующей аккредитации нельзя работать по "
            "специальности. Подайте документы на периодическую аккредитацию."
        )
    elif status == "none":
        text = (
            "В ФРМР нет записей о вашей аккредитации. Если вы её проходили, подайте заявку на "
            "исправление или обратитесь в кадровую службу."
        )
    elif body.get("requirement_met"):
        text = f"Требование непрерывного образования выполнено. Аккредитация действует до {ends}."
    elif status == "on_track":
        text = (
            f"Выполнено {done}, а по графику к сегодняшнему дню нужно {due}. "
            f"До {ends} (осталось {_days(left)}) осталось набрать {still_needed(body)}."
        )
    else:
        text = (
            f"Выполнено {done}, а по графику к сегодняшнему дню нужно {due}. Чтобы аккредитация не "
            f"прервалась, до {ends} (осталось {_days(left)}) нужно набрать {still_needed(body)}. "
            "Запланируйте обучение."
        )
    return HEADLINES[status], text
