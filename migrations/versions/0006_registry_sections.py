"""FRMR registry sections: documents, education, courses, certificates, accreditation, categories.

Adds the person's INN and contacts, the employment record's id, organisation
INN, OKTMO and department, and one table per further section of the record.
Employment rows that exist already get ids made from their row id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _date(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Date(), nullable=nullable)


def _sections() -> dict[str, list[sa.Column[Any]]]:
    return {
        "frmr_documents": [
            _text("kind", 32),
            _text("series", 16, nullable=True),
            _text("number", 32),
            _date("issue_date", nullable=True),
            _text("issued_by", 500, nullable=True),
            _text("issuer_code", 16, nullable=True),
        ],
        "frmr_education": [
            _text("kind", 32),
            _text("institution", 500),
            _text("speciality_code", 16),
            _text("qualification", 300, nullable=True),
            _text("diploma_series", 16, nullable=True),
            _text("diploma_number", 32),
            _date("diploma_date", nullable=True),
            sa.Column("graduation_year", sa.SmallInteger(), nullable=False),
        ],
        "frmr_postgraduate": [
            _text("kind", 32),
            _text("institution", 500),
            _text("speciality_code", 16),
            _date("begin_date"),
            _date("end_date", nullable=True),
            _text("diploma_number", 32, nullable=True),
            _date("diploma_date", nullable=True),
        ],
        "frmr_courses": [
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
        ],
        "frmr_certificates": [
            _text("speciality_code", 16),
            _text("series", 16, nullable=True),
            _text("number", 64),
            _date("issue_date"),
            _date("end_date"),
            _text("institution", 500, nullable=True),
        ],
        "frmr_accreditations": [
            _text("kind", 32),
            _text("registry_number", 64),
            _text("speciality_code", 16),
            _date("pass_date"),
            _date("end_date"),
        ],
        "frmr_categories": [
            _text("category", 16),
            _text("speciality_code", 16),
            _date("begin_date"),
            _date("end_date", nullable=True),
        ],
    }


def upgrade() -> None:
    op.add_column("frmr_persons", _text("inn", 12, nullable=True))
    op.add_column("frmr_persons", _text("phone", 16, nullable=True))
    op.add_column("frmr_persons", _text("email", 254, nullable=True))
    op.add_column(
        "frmr_employments", sa.Column("record_id", sa.String(64), nullable=False, server_default="")
    )
    op.add_column("frmr_employments", _text("organization_inn", 10, nullable=True))
    op.add_column("frmr_employments", _text("oktmo", 11, nullable=True))
    op.add_column("frmr_employments", _text("department", 300, nullable=True))
    op.execute(
        "UPDATE frmr_employments SET record_id = 'emp-' || CAST(id AS VARCHAR(20)) WHERE record_id = ''"
    )
    for name, columns in _sections().items():
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("frmr_id", sa.String(64), nullable=False),
            sa.Column("record_id", sa.String(64), nullable=False),
            *columns,
            sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
            sa.ForeignKeyConstraint(
                ["frmr_id"],
                ["frmr_persons.frmr_id"],
                name=f"fk_{name}_frmr_id_frmr_persons",
                ondelete="CASCADE",
            ),
        )
        op.create_index(f"ix_{name}_frmr_id", name, ["frmr_id"])


def downgrade() -> None:
    for name in reversed(list(_sections())):
        op.drop_index(f"ix_{name}_frmr_id", table_name=name)
        op.drop_table(name)
    for column in ("department", "oktmo", "organization_inn", "record_id"):
        op.drop_column("frmr_employments", column)
    for column in ("email", "phone", "inn"):
        op.drop_column("frmr_persons", column)
