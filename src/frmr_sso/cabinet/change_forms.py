"""The cabinet's change-request forms: one per section, built from the directories and the broker's rules.

Which fields a section has and which are required come from the change-request
model (``section_fields``); the choices of posts, specialities, kinds of education
and position types from the directories and the Russian label table. ``check``
runs the same validation the broker runs and names each bad field in Russian,
so a person sees what to fix beside the field, with what they typed kept.
Nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

from frmr_sso.cabinet.form_messages import russian_errors
from frmr_sso.cabinet_backend.change_requests.form_fields import Invalid, Spec
from frmr_sso.cabinet_backend.change_requests.model import Section, section_fields, validate_proposal
from frmr_sso.registry.directories import Organization, directories
from frmr_sso.registry.labels import ENUMS

Input = Literal["select", "text", "date", "number", "year", "tel", "email"]
ORGANIZATION = "organization"  # the error key of the organisation chosen from the directory
_INPUTS: dict[str, Input] = {
    "choice": "select",
    "choice_int": "select",
    "date": "date",
    "past_date": "date",
    "year": "year",
    "rate": "number",
    "phone": "tel",
    "email": "email",
}


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    input: Input
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (code, what the person reads)
    hint: str = ""
    max_length: int = 200


@dataclass(frozen=True, slots=True)
class SectionForm:
    section: str
    title: str
    lead: str
    fields: tuple[FormField, ...]
    documents: bool
    button: str = "Отправить заявку"


@dataclass(frozen=True, slots=True)
class Checked:
    fields: dict[str, str] = field(default_factory=dict)  # what goes to the broker, as typed
    errors: dict[str, str] = field(default_factory=dict)  # field name (or "fields", "documents") -> Russian

    @property
    def ok(self) -> bool:
        return not self.errors


_LABELS = {
    "post_id": "Должность",
    "position_type": "Вид занятости",
    "rate": "Ставка",
    "begin_date": "Дата начала работы",
    "end_date": "Дата окончания работы",
    "kind": "Вид образования",
    "institution": "Образовательная организация",
    "speciality_code": "Специальность",
    "qualification": "Квалификация",
    "diploma_series": "Серия диплома",
    "diploma_number": "Номер диплома",
    "diploma_date": "Дата выдачи диплома",
    "graduation_year": "Год окончания",
    "phone": "Новый телефон",
    "email": "Новый адрес электронной почты",
}
_HINTS = {
    "rate": "От 0,05 до 2, например 1 или 0,5.",
    "end_date": "Оставьте пустым, если вы работаете там сейчас.",
    "institution": "Как в дипломе, например ФГАОУ ВО «Первый МГМУ им. И. М. Сеченова».",
    "phone": "+7 и десять цифр. На него придёт код подтверждения.",
    "email": "На этот адрес придёт код подтверждения.",
}
_SHOWN = {  # in the order of the form; the organisation and ``record_id`` are chosen otherwise
    Section.WORKPLACE: ("post_id", "position_type", "rate", "begin_date", "end_date"),
    Section.EDUCATION: (
        "kind",
        "institution",
        "speciality_code",
        "qualification",
        "diploma_series",
        "diploma_number",
        "diploma_date",
        "graduation_year",
    ),
    Section.CONTACTS: ("phone", "email"),
}
_TITLES = {
    Section.WORKPLACE: (
        "Место работы",
        "Укажите верные сведения о месте работы и приложите документ, который их подтверждает: "
        "приказ о приёме или выписку из трудовой книжки.",
    ),
    Section.EDUCATION: ("Образование", "Укажите сведения, как в дипломе, и приложите его копию."),
    Section.CONTACTS: (
        "Контакты",
        "Укажите новый телефон или новый адрес почты — что-то одно. Мы отправим на него одноразовый код; "
        "контакт изменится, когда вы введёте код.",
    ),
}


def _choices(name: str) -> tuple[tuple[str, str], ...]:
    found = directories()
    if name == "post_id":
        return tuple((code, post) for code, post in found.posts.items())
    if name == "position_type":
        return tuple((code, text[:1].upper() + text[1:]) for code, text in ENUMS["position_type"].items())
    if name == "kind":
        return tuple(found.kinds.get("education", {}).items())
    if name == "speciality_code":
        return tuple((code, f"{title} ({code})") for code, title in found.specialities.items())
    return ()


def _field(name: str, spec: Spec) -> FormField:
    return FormField(
        name=name,
        label=_LABELS[name],
        input=_INPUTS.get(spec.kind, "text"),
        required=spec.required,
        choices=_choices(name),
        hint=_HINTS.get(name, ""),
        max_length=spec.max_length,
    )


@cache
def section_forms() -> dict[str, SectionForm]:
    specs = section_fields()
    forms = {}
    for section, shown in _SHOWN.items():
        title, lead = _TITLES[section]
        fields = tuple(_field(name, specs[section][name]) for name in shown)
        contacts = section is Section.CONTACTS
        forms[section.value] = SectionForm(
            section.value,
            title,
            lead,
            fields,
            documents=not contacts,
            button="Получить код" if contacts else "Отправить заявку",
        )
    return forms


def form_values(form: SectionForm, item: Mapping[str, object]) -> dict[str, str]:
    """The form's fields filled from a record item of the API (to correct it), as a person would type them."""
    values = {"record_id": str(item.get("id") or "")}
    for f in form.fields:
        value = item.get(f.name)
        if value is None or value == "":
            continue
        rate = f.name == "rate" and isinstance(value, int | float)
        values[f.name] = f"{value:g}".replace(".", ",") if rate else str(value)
    return values


def record_title(item: Mapping[str, object]) -> str:
    """One line that names a record item: where and what, from when."""
    where = item.get("organization_name") or item.get("institution") or ""
    what = item.get("post_name") or item.get("speciality_name") or item.get("post_id") or ""
    since = str(item.get("begin_date") or item.get("graduation_year") or "")
    if len(since) == 10:
        since = f"с {since[8:10]}.{since[5:7]}.{since[0:4]}"
    return ", ".join(str(part) for part in (where, what, since) if part)


_ORGANIZATION_ROWS = (
    ("organization_name", "Организация"),
    ("organization_oid", "OID организации"),
    ("oktmo", "ОКТМО"),
)


def proposal_rows(section: str, fields: Mapping[str, object]) -> list[tuple[str, object, str]]:
    """A filed request's fields as a person reads them: (label, value, the field for formatting it).

    A chosen code reads as its name from the directory (the field for formatting is then empty);
    dates, numbers and the rest are left to the page's formatting by their field's name.
    """
    form = section_forms().get(section)
    if form is None:
        return [(name, value, name) for name, value in fields.items()]
    rows: list[tuple[str, object, str]] = []
    if form.documents:
        rows.append(("Запись", "исправление имеющейся" if fields.get("record_id") else "новая", ""))
    rows += [(label, fields[name], name) for name, label in _ORGANIZATION_ROWS if fields.get(name)]
    for f in form.fields:
        value = fields.get(f.name)
        if value is None or value == "":
            continue
        named = dict(f.choices).get(str(value))
        rows.append((f.label, named, "") if named else (f.label, value, f.name))
    return rows


def check(
    form: SectionForm,
    values: Mapping[str, str],
    *,
    today: date,
    documents: int,
    organization: Organization | None = None,
) -> Checked:
    """The fields to send, or every problem by field, in Russian (the broker's own rules)."""
    sent = {f.name: values.get(f.name, "").strip() for f in form.fields}
    sent = {name: value for name, value in sent.items() if value}
    if values.get("record_id", "").strip():  # a correction of that item; the broker checks it is one's own
        sent["record_id"] = values["record_id"].strip()
    if "rate" in sent:
        sent["rate"] = sent["rate"].replace(",", ".")  # «0,5» as a Russian writes it
    errors: dict[str, str] = {}
    if form.section == Section.WORKPLACE.value:
        if organization is None:
            errors[ORGANIZATION] = "Выберите организацию из справочника."
        else:
            sent |= {
                "organization_oid": organization.oid,
                "organization_name": organization.name,
                "oktmo": organization.oktmo,
            }
    try:
        validate_proposal(
            Section(form.section), sent, documents=documents, today=today, comment=values.get("comment")
        )
    except Invalid as exc:
        errors |= russian_errors(exc.errors)
    if ORGANIZATION in errors:  # its own fields are then reported once, as the organisation
        for name in ("organization_oid", "organization_name", "oktmo"):
            errors.pop(name, None)
    return Checked(sent, errors)
