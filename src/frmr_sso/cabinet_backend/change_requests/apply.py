"""What an approved change request does to the FRMR record: a new ``FrmrPerson``, nothing stored here.

A proposal with ``record_id`` replaces that item of the section; without one it
adds an item, whose id is ``cr-<request id>``. A ``record_id`` must name an item
of the worker's own record (``check_record_ids``, run at submission and again on
approval): another worker's id, or a made-up one, is refused naming the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.change_requests.model import ChangeRequest, Section
from frmr_sso.registry.directories import directories
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.registry.sections import Education

_SECTION_ITEMS = {Section.EDUCATION: "education", Section.WORKPLACE: "employments"}


def check_record_ids(person: FrmrPerson, section: Section, proposal: dict[str, Any]) -> None:
    record_id = proposal.get("record_id")
    if record_id is None or section not in _SECTION_ITEMS:
        return
    items = getattr(person, _SECTION_ITEMS[section])
    if not any(item.record_id == record_id for item in items):
        raise Invalid([FieldError("fields.record_id", "no such item in your record")])


def apply_change(person: FrmrPerson, request: ChangeRequest) -> FrmrPerson:
    proposal = request.proposal
    if request.section is Section.CONTACTS:
        return dataclasses.replace(
            person, phone=proposal.get("phone", person.phone), email=proposal.get("email", person.email)
        )
    check_record_ids(person, request.section, proposal)
    record_id = proposal.get("record_id") or f"cr-{request.id}"
    if request.section is Section.WORKPLACE:
        job = Employment(
            organization_oid=proposal["organization_oid"],
            organization_name=proposal["organization_name"],
            post_id=proposal["post_id"],
            post_name=directories().posts.get(proposal["post_id"], proposal["post_id"]),
            position_type=PositionType(int(proposal["position_type"])),
            rate=float(proposal["rate"]),
            begin_date=proposal["begin_date"],
            end_date=proposal.get("end_date"),
            oktmo=proposal.get("oktmo"),
            record_id=record_id,
        )
        old = next((e for e in person.employments if e.record_id == record_id), None)
        if old is not None:  # what the form does not carry stays as it was
            job = dataclasses.replace(
                job,
                organization_inn=old.organization_inn,
                oktmo=job.oktmo or old.oktmo,
                department=old.department,
            )
        return dataclasses.replace(person, employments=_replace(person.employments, job))
    education = Education(
        kind=proposal["kind"],
        institution=proposal["institution"],
        speciality_code=proposal["speciality_code"],
        qualification=proposal.get("qualification"),
        diploma_series=proposal.get("diploma_series"),
        diploma_number=proposal["diploma_number"],
        diploma_date=proposal["diploma_date"],
        graduation_year=int(proposal["graduation_year"]),
        record_id=record_id,
    )
    return dataclasses.replace(person, education=_replace(person.education, education))


def _replace(items: tuple[Any, ...], new: Any) -> tuple[Any, ...]:
    if any(item.record_id == new.record_id for item in items):
        return tuple(new if item.record_id == new.record_id else item for item in items)
    return (*items, new)
