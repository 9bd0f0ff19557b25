"""Tables of the FRMR registry (same metadata as ``tables.py``): persons and employments.

The other sections are in ``registry_section_tables.py``; their columns carry the names of the
fields of the domain records (``registry/sections.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from frmr_sso.storage.sql.tables import UtcDateTime, metadata

frmr_persons = sa.Table(
    "frmr_persons",
    metadata,
    sa.Column("frmr_id", sa.String(64), primary_key=True),
    sa.Column("snils", sa.String(11), nullable=False, unique=True),
    sa.Column("last_name", sa.String(100), nullable=False),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("middle_name", sa.String(100), nullable=True),
    sa.Column("gender", sa.String(1), nullable=True),
    sa.Column("birth_date", sa.Date(), nullable=True),
    sa.Column("roles", sa.JSON(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("inn", sa.String(12), nullable=True),
    sa.Column("phone", sa.String(16), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    # raised by every write of the person or of a section of their record: the registry API's ETags
    sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
)

frmr_employments = sa.Table(
    "frmr_employments",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "frmr_id", sa.String(64), sa.ForeignKey("frmr_persons.frmr_id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("organization_oid", sa.String(128), nullable=False),
    sa.Column("organization_name", sa.String(500), nullable=False),
    sa.Column("post_id", sa.String(32), nullable=False),
    sa.Column("post_name", sa.String(300), nullable=False),
    sa.Column("position_type", sa.SmallInteger(), nullable=False),
    sa.Column("rate", sa.Numeric(4, 2), nullable=False),
    sa.Column("begin_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("record_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("organization_inn", sa.String(10), nullable=True),
    sa.Column("oktmo", sa.String(11), nullable=True),
    sa.Column("department", sa.String(300), nullable=True),
    sa.Index("ix_frmr_employments_frmr_id", "frmr_id"),
)
