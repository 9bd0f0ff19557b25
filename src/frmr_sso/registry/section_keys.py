"""The fields each section item of an import record may have (any other is an ``unknown field``)."""

from __future__ import annotations

EMPLOYMENT_KEYS = frozenset(
    {
        "id",
        "organization_oid",
        "organization_name",
        "organization_inn",
        "oktmo",
        "department",
        "post_id",
        "post_name",
        "position_type",
        "rate",
        "begin_date",
        "end_date",
    }
)
DOCUMENT_KEYS = frozenset({"id", "kind", "series", "number", "issue_date", "issued_by", "issuer_code"})
EDUCATION_KEYS = frozenset(
    {
        "id",
        "kind",
        "institution",
        "speciality_code",
        "qualification",
        "diploma_series",
        "diploma_number",
        "diploma_date",
        "graduation_year",
    }
)
POSTGRADUATE_KEYS = frozenset(
    {
        "id",
        "kind",
        "institution",
        "speciality_code",
        "begin_date",
        "end_date",
        "diploma_number",
        "diploma_date",
    }
)
COURSE_KEYS = frozenset(
    {
        "id",
        "kind",
        "institution",
        "hours",
        "theme",
        "speciality_code",
        "document_number",
        "document_date",
        "begin_date",
        "end_date",
        "credits",
    }
)
CERTIFICATE_KEYS = frozenset(
    {"id", "speciality_code", "series", "number", "issue_date", "end_date", "institution"}
)
ACCREDITATION_KEYS = frozenset({"id", "kind", "registry_number", "speciality_code", "pass_date", "end_date"})
CATEGORY_KEYS = frozenset({"id", "category", "speciality_code", "begin_date", "end_date"})
KEYS = {
    "documents": DOCUMENT_KEYS,
    "employments": EMPLOYMENT_KEYS,
    "education": EDUCATION_KEYS,
    "postgraduate": POSTGRADUATE_KEYS,
    "courses": COURSE_KEYS,
    "certificates": CERTIFICATE_KEYS,
    "accreditations": ACCREDITATION_KEYS,
    "categories": CATEGORY_KEYS,
}
