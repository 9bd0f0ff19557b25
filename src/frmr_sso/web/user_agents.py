"""A browser and system name from a User-Agent header, by the maintained ua-parser rules.

``device_name(ua)``: «Chrome 131, Windows 10», «Safari, iOS 17.1», or
«неизвестный браузер» when the header is missing or says nothing known. The
raw header is never shown to the person.
"""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

UNKNOWN = "неизвестный браузер"
_MAX_LENGTH = 1024


def _version(*parts: str | None) -> str:
    return ".".join(p for p in parts if p)


@lru_cache(maxsize=512)
def device_name(user_agent: str | None) -> str:
    if not user_agent:
        return UNKNOWN
    found = parse(user_agent[:_MAX_LENGTH])
    browser = system = ""
    if found.user_agent is not None and found.user_agent.family != "Other":
        browser = f"{found.user_agent.family} {found.user_agent.major or ''}".strip()
    if found.os is not None and found.os.family != "Other":
        system = f"{found.os.family} {_version(found.os.major, found.os.minor)}".strip()
    return ", ".join(p for p in (browser, system) if p) or UNKNOWN
