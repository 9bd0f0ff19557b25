"""Tables of the FRMR record's sections besides employment, one per section (``registry/sections.py``).

Each row belongs to one person (``frmr_id``, deleted with it) and keeps the
section item's ``record_id``; rows are read back in ``id`` order, which is the
order of the import.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from frmr_sso.storage.sql.tables import metadata


def _section(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "frmr_id",
            sa.String(64),
            sa.ForeignKey("frmr_persons.frmr_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("record_id", sa.String(64), nullable=False),
        *columns,
        sa.Index(f"ix_{name}_frmr_id", "frmr_id"),
    )


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _date(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Date(), nullable=nullable)


frmr_documents = _section(
    "frmr_documents",
    _text("kind", 32),
    _text("series", 16, nullable=True),
    _text("number", 32),
    _date("issue_date", nullable=True),
    _text("issued_by", 500, nullable=True),
    _text("issuer_code", 16, nullable=True),
)
frmr_education = _section(
    "frmr_education",
    _text("kind", 32),
    _text("institution", 500),
    _text("speciality_code", 16),
    _text("qualification", 300, nullable=True),
    _text("diploma_series", 16, nullable=True),
    _text("diploma_number", 32),
    _date("diploma_date", nullable=True),
    sa.Column("graduation_year", sa.SmallInteger(), nullable=False),
)
frmr_postgraduate = _section(
    "frmr_postgraduate",
    _text("kind", 32),
    _text("institution", 500),
    _text("speciality_code", 16),
    _date("begin_date"),
    _date("end_date", nullable=True),
    _text("diploma_number", 32, nullable=True),
    _date("diploma_date", nullable=True),
)
frmr_courses = _section(
    "frmr_courses",
    _text("kind", 32),
    _text("institution", 500),
    sa.Column("hours", sa.Integer(), nullable=False),
    _text("theme", 1000),
    _text("speciality_code", 16, nullable=True),
    _text("document_number", 64, nullable=True),
    _date("document_date", nullable=True),
    _date("begin_date"),
    _date("end_date"),
    sa.Column("credits", sa.Integer(), nullable=False),
)
frmr_certificates = _section(
    "frmr_certificates",
    _text("speciality_code", 16),
    _text("series", 16, nullable=True),
    _text("number", 64),
    _date("issue_date"),
    _date("end_date"),
    _text("institution", 500, nullable=True),
)
frmr_accreditations = _section(
    "frmr_accreditations",
    _text("kind", 32),
    _text("registry_number", 64),
    _text("speciality_code", 16),
    _date("pass_date"),
    _date("end_date"),
)
frmr_categories = _section(
    "frmr_categories",
    _text("category", 16),
    _text("speciality_code", 16),
    _date("begin_date"),
    _date("end_date", nullable=True),
)
