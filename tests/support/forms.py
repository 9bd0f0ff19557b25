"""Read HTML forms the way a browser submits them: action, method and the inputs' names and values.

Stdlib ``html.parser`` only, so the e2e tests of the broker and of mock ESIA
drive the real pages without a browser::

    form = find_form(page.text, action="/login")
    response = client.post(urljoin(base, form.action), data=form.fill(login=..., password=...))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_SUBMITTED_TYPES = frozenset(
    {"hidden", "text", "password", "email", "tel", "number", "search", "url", "date", "datetime-local"}
)


@dataclass
class HtmlForm:
    action: str
    method: str
    attributes: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)  # a select's option values, in order

    def fill(self, **values: str) -> dict[str, str]:
        """The inputs as posted, with ``values`` typed in (a name not in the form is refused)."""
        unknown = set(values) - set(self.inputs)
        if unknown:
            raise KeyError(f"the form has no field(s) {sorted(unknown)}; it has {sorted(self.inputs)}")
        return {**self.inputs, **values}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._current: HtmlForm | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = HtmlForm(
                action=attributes.get("action", ""),
                method=attributes.get("method", "get").lower(),
                attributes=attributes,
            )
            self.forms.append(self._current)
        elif self._current is not None and tag == "input" and attributes.get("name"):
            kind = attributes.get("type", "text").lower()
            checked = kind in ("checkbox", "radio") and "checked" in attributes
            if kind in _SUBMITTED_TYPES or checked:
                value = attributes.get("value", "on" if checked else "")
                self._current.inputs[attributes["name"]] = value
                if kind == "hidden":
                    self._current.hidden[attributes["name"]] = value
        elif self._current is not None and tag == "select" and attributes.get("name"):
            self._select = attributes["name"]
            self._current.inputs[self._select] = ""
            self._current.options[self._select] = []
        elif self._current is not None and self._select is not None and tag == "option":
            value = attributes.get("value", "")
            self._current.options[self._select].append(value)
            if "selected" in attributes or len(self._current.options[self._select]) == 1:
                self._current.inputs[self._select] = value  # the selected option, else the first
        elif self._current is not None and tag == "textarea" and attributes.get("name"):
            self._textarea = attributes["name"]
            self._current.inputs[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._current is not None and self._textarea is not None:
            self._current.inputs[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def parse_forms(html: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, *, action: str | None = None, field: str | None = None) -> HtmlForm:
    """The one form posting to ``action`` and/or having an input named ``field``."""
    found = [
        form
        for form in parse_forms(html)
        if (action is None or form.action == action) and (field is None or field in form.inputs)
    ]
    if len(found) != 1:
        actions = [form.action for form in parse_forms(html)]
        raise LookupError(f"expected one form (action={action!r}, field={field!r}), found {actions}")
    return found[0]
