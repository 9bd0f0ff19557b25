"""How the cabinet shows things: Jinja2 templates, Russian labels and formats, security headers.

API sections are drawn generically (objects as definition lists, lists of
objects as cards) with Russian labels for the known field names, so a field the
API adds later still shows, under its own name, and nothing is invented.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from frmr_sso.cabinet.field_labels import HIDDEN, LABELS, NESTED_LABELS
from frmr_sso.registry.labels import enum_label
from frmr_sso.registry.ru_format import decimal, duration, local_time, zone
from frmr_sso.web.site import DEFAULT_SITE
from frmr_sso.web.user_agents import device_name

TEMPLATES = Path(__file__).parent / "templates"
# One stylesheet source: the broker's base rules, then the cabinet's own additions.
_BASE_STYLE = Path(__file__).parents[1] / "web" / "templates" / "_style.css"
STYLE = _BASE_STYLE.read_text(encoding="utf-8") + (TEMPLATES / "_style.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode("ascii")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
NAV = (
    ("profile", "Профиль"),
    ("education", "Образование"),
    ("work", "Места работы"),
    ("qualification", "Повышение квалификации"),
    ("service-length", "Стаж"),
    ("accreditation", "Аккредитация"),
    ("requests", "Заявки на исправление"),
    ("statements", "Выписки"),
    ("support", "Поддержка"),
    ("sessions", "Сеансы"),
    ("logins", "Журнал входов"),
    ("apps", "Доступ приложений"),
    ("second-factor", "Второй фактор"),
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def label(key: object, parent: str = "") -> str:
    if parent and str(key) in NESTED_LABELS:
        return NESTED_LABELS[str(key)]
    return LABELS.get(str(key), str(key).replace("_", " "))


def show(value: Any, key: str = "", tz: ZoneInfo | None = None) -> str:
    """A scalar as a Russian reader expects it; times in ``tz`` (Moscow time by default), labelled."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    named = enum_label(key, value) if isinstance(value, str | int) else None
    if named is not None:
        return named
    if key in ("progress", "expected_progress") and isinstance(value, float) and 0 <= value <= 1:
        return f"{round(value * 100)} %"
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return local_time(datetime.fromisoformat(value), tz or zone(None))
        except ValueError:
            return value
    if key == "user_agent" and isinstance(value, str):
        return device_name(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(show(v, tz=tz) for v in value) or "—"
    return str(value)


def visible(data: dict[str, Any]) -> list[tuple[str, Any]]:
    # a code beside its name or label: show the words (status_label over status, kind_name over kind)
    labelled = {k.removesuffix(end) for k in data for end in ("_label", "_name") if k.endswith(end)}
    return [(k, v) for k, v in data.items() if k not in HIDDEN | labelled and not k.endswith("_url")]


# The broker's templates come second: the footer (operator, support, privacy) is the same on every page.
_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(_BASE_STYLE.parent)]),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


@pass_context
def _show_filter(context: Context, value: Any, key: str = "") -> str:
    return show(value, key, context.get("zone"))


def _duration(data: Any) -> str:
    """«12 лет 3 мес. 5 дн.» of an object with ``years``, ``months`` and ``days``."""
    if not isinstance(data, dict):
        return "—"
    return duration(*(int(data.get(k) or 0) for k in ("years", "months", "days")))


_env.filters.update(label=label, show=_show_filter, visible=visible, duration=_duration)
_env.tests.update(mapping=lambda v: isinstance(v, dict), sequence=lambda v: isinstance(v, list))


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "-"))


def _zone_of(request: Request) -> ZoneInfo:
    running = getattr(request.app.state, "runtime", None)
    return zone(running.config.time_zone if running is not None else None)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(
        style=STYLE,
        request_id=request_id(request),
        nav=NAV,
        base=request.scope.get("root_path", ""),
        zone=_zone_of(request),
        site=getattr(request.app.state, "site", DEFAULT_SITE),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=dict(SECURITY_HEADERS))
