"""Russian forms for what pages and documents print: plurals, durations, decimals, local times.

- ``plural(n, "год", "года", "лет")``: the form of a noun after a number.
- ``duration(years, months, days)``: «12 лет 3 мес. 5 дн.», zero parts left out,
  «0 дн.» for nothing at all.
- ``decimal(0.25)``: «0,25» (a decimal comma, no trailing zeros).
- ``local_time(moment, zone)``: «07.12.2026 13:45 МСК», a moment in the person's
  time zone with its short Russian name (the UTC offset for zones without one).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Moscow"
ZONE_NAMES = {
    "Europe/Kaliningrad": "МСК−1",
    "Europe/Moscow": "МСК",
    "Europe/Samara": "МСК+1",
    "Asia/Yekaterinburg": "МСК+2",
    "Asia/Omsk": "МСК+3",
    "Asia/Novosibirsk": "МСК+4",
    "Asia/Krasnoyarsk": "МСК+4",
    "Asia/Irkutsk": "МСК+5",
    "Asia/Yakutsk": "МСК+6",
    "Asia/Vladivostok": "МСК+7",
    "Asia/Magadan": "МСК+8",
    "Asia/Kamchatka": "МСК+9",
    "UTC": "UTC",
}


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form after ``n``: 1 год, 2 года, 5 лет, 11 лет, 21 год, 22 года."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def duration(years: int, months: int, days: int) -> str:
    parts = []
    if years:
        parts.append(f"{years}\u00a0{plural(years, 'год', 'года', 'лет')}")
    if months:
        parts.append(f"{months}\u00a0мес.")
    if days or not parts:
        parts.append(f"{days}\u00a0дн.")
    return " ".join(parts)


def decimal(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def zone(name: str | None) -> ZoneInfo:
    """The named IANA zone; an unknown or empty name is Moscow time."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def zone_label(tz: ZoneInfo, moment: datetime) -> str:
    known = ZONE_NAMES.get(tz.key)
    if known:
        return known
    offset = moment.astimezone(tz).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """``moment`` (naive means UTC) as «дд.мм.гггг чч:мм МСК» in ``tz``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(tz).strftime('%d.%m.%Y %H:%M')} {zone_label(tz, aware)}"
