"""What a statement says: the FRMR extract and the certificate of professional activity, as plain content.

``build_statement`` turns a registry person into ``StatementContent`` (a title,
a number, the date, sections of label/value rows); ``statements_pdf`` draws it
and ``statements_signing`` seals it. Nothing here knows PDF, storage or HTTP.

- ``extract`` (выписка из ФРМР): identity, education, every place of work with its
  dates, qualification courses, and the accreditation, certificates and categories in force;
- ``activity-certificate`` (справка о профессиональной деятельности): identity, the
  current places of work and what admits the person to practise, for another organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from frmr_sso.identity.snils import mask_snils
from frmr_sso.registry.labels import label_of
from frmr_sso.registry.models import Employment, FrmrPerson
from frmr_sso.registry.ru_format import decimal, local_time
from frmr_sso.registry.ru_format import zone as zone_of


class StatementKind(StrEnum):
    EXTRACT = "extract"
    ACTIVITY_CERTIFICATE = "activity-certificate"


TITLES = {
    StatementKind.EXTRACT: "Выписка из Федерального регистра медицинских работников",
    StatementKind.ACTIVITY_CERTIFICATE: "Справка о профессиональной деятельности",
}
SHORT_TITLES = {
    StatementKind.EXTRACT: "Выписка из ФРМР",
    StatementKind.ACTIVITY_CERTIFICATE: "Справка о профессиональной деятельности",
}
FOOTER = (
    "Документ сформирован автоматически по данным Федерального регистра медицинских работников "
    "и подписан электронной подписью сервиса ФРМР. Подлинность проверяется по подписи в файле."
)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    rows: tuple[tuple[str, str], ...]
    empty_text: str = "Сведений нет."


@dataclass(frozen=True, slots=True)
class StatementContent:
    kind: StatementKind
    title: str
    number: str
    issued_at: datetime
    person_name: str
    sections: tuple[Section, ...]
    footer: str = FOOTER
    zone: ZoneInfo = field(default_factory=lambda: zone_of(None))

    @property
    def issued_local(self) -> str:
        """When it was made, in the person's time zone: «07.12.2026 13:45 МСК»."""
        return local_time(self.issued_at, self.zone)


def ru_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else "—"


def full_name(person: FrmrPerson) -> str:
    return " ".join(part for part in (person.last_name, person.first_name, person.middle_name) if part)


def _identity(person: FrmrPerson) -> Section:
    rows = [
        ("Фамилия, имя, отчество", full_name(person)),
        ("Дата рождения", ru_date(person.birth_date)),
        ("Пол", label_of("gender", person.gender) if person.gender else "—"),
        ("СНИЛС", mask_snils(person.snils)),
        ("Идентификатор в ФРМР", person.frmr_id),
    ]
    return Section("Сведения о медицинском работнике", tuple(rows))


def _job_rows(jobs: tuple[Employment, ...]) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    for job in sorted(jobs, key=lambda j: (j.begin_date, j.organization_name)):
        period = f"с {ru_date(job.begin_date)}" + (f" по {ru_date(job.end_date)}" if job.end_date else "")
        kind = label_of("position_type", int(job.position_type))
        detail = f"{job.post_name}; {kind}; ставка {decimal(job.rate)}; {period}"
        rows.append((job.organization_name, detail))
    return tuple(rows)


def _speciality(item: object) -> str:
    name = getattr(item, "speciality_name", None)
    return str(name) if name else "специальность не указана"


def _education_rows(person: FrmrPerson) -> tuple[tuple[str, str], ...]:
    rows = [
        (
            e.institution,
            f"{_speciality(e)}; квалификация: {e.qualification or '—'}; диплом № {e.diploma_number}, "
            f"{e.graduation_year} г.",
        )
        for e in person.education
    ]
    rows += [
        (p.institution, f"{_speciality(p)}; с {ru_date(p.begin_date)} по {ru_date(p.end_date)}")
        for p in person.postgraduate
    ]
    return tuple(rows)


def _course_rows(person: FrmrPerson) -> tuple[tuple[str, str], ...]:
    return tuple(
        (c.theme, f"{c.institution}; {c.hours} ч.; {ru_date(c.begin_date)}–{ru_date(c.end_date)}")
        for c in sorted(person.courses, key=lambda c: c.begin_date)
    )


def _accreditation_rows(person: FrmrPerson, today: date) -> tuple[tuple[str, str], ...]:
    rows = [
        (
            _speciality(a),
            f"аккредитация № {a.registry_number}, с {ru_date(a.pass_date)} по {ru_date(a.end_date)}",
        )
        for a in person.accreditations
        if a.end_date >= today
    ]
    rows += [
        (_speciality(c), f"сертификат специалиста № {c.number}, действует до {ru_date(c.end_date)}")
        for c in person.certificates
        if c.end_date >= today
    ]
    rows += [
        (_speciality(c), f"{label_of('category', c.category)} категория с {ru_date(c.begin_date)}")
        for c in person.categories
        if c.end_date is None or c.end_date >= today
    ]
    return tuple(rows)


def build_statement(
    kind: StatementKind, person: FrmrPerson, *, number: str, issued_at: datetime, zone: ZoneInfo | None = None
) -> StatementContent:
    tz = zone or zone_of(None)
    today = (issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC)).astimezone(tz).date()
    admitted = Section("Допуск к профессиональной деятельности", _accreditation_rows(person, today))
    if kind is StatementKind.EXTRACT:
        sections: tuple[Section, ...] = (
            Section("Образование", _education_rows(person)),
            Section("Места работы", _job_rows(person.employments)),
            Section("Повышение квалификации", _course_rows(person)),
            admitted,
        )
    else:
        current = _job_rows(person.current_employments(today))
        empty = "На дату справки действующих мест работы в ФРМР нет."
        sections = (Section(f"Текущие места работы на {ru_date(today)}", current, empty_text=empty), admitted)
    return StatementContent(
        kind=kind,
        title=TITLES[kind],
        number=number,
        issued_at=issued_at,
        person_name=full_name(person),
        sections=(_identity(person), *sections),
        zone=tz,
    )
