from __future__ import annotations

import copy
import io
import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import pytest
import yaml

from frmr_sso.identity.snils import control_number
from frmr_sso.registry.demo import DEMO_PERSONS_FILE, person_from_dict
from frmr_sso.registry.importer import InvalidRecord, import_records, validate_person
from frmr_sso.registry.json_stream import read_records
from frmr_sso.registry.models import FrmrPerson, PositionType

RECORD: dict[str, Any] = {
    "frmr_id": "FRMR-1",
    "snils": "112-233-445 95",
    "last_name": "Иванова",
    "first_name": "Мария",
    "middle_name": "Петровна",
    "gender": "F",
    "birth_date": "1985-03-14",
    "roles": ["registry_admin"],
    "employments": [
        {
            "organization_oid": "1.2.643.5.1.13.13.12.2.77.7871",
            "organization_name": "ГБУЗ «ГКБ № 1»",
            "post_id": "109",
            "post_name": "врач-терапевт",
            "position_type": 1,
            "rate": 1.0,
            "begin_date": "2012-09-01",
            "end_date": None,
        }
    ],
}


def snils_for(n: int) -> str:
    body = f"{200_000_000 + n:09d}"
    return f"{body}{control_number(body):02d}"


def person(n: int, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(RECORD)
    record.update({"frmr_id": f"FRMR-{n}", "snils": snils_for(n), **changes})
    return record


def problems_of(record: Any) -> list[str]:
    with pytest.raises(InvalidRecord) as invalid:
        validate_person(record)
    return invalid.value.problems


def test_demo_records_validate_to_what_the_demo_loader_builds() -> None:
    entries = yaml.safe_load(DEMO_PERSONS_FILE.read_text(encoding="utf-8"))["persons"]
    as_json = json.loads(json.dumps(entries, default=str))
    assert [validate_person(e) for e in as_json] == [person_from_dict(e) for e in entries]


def test_a_valid_record_becomes_a_person() -> None:
    result = validate_person(person(1, middle_name="", gender=None, roles=None, birth_date=None))
    assert result.frmr_id == "FRMR-1"
    assert result.snils == snils_for(1)
    assert (result.middle_name, result.gender, result.birth_date, result.roles) == (None, None, None, ())
    job = result.employments[0]
    assert (job.position_type, job.rate, job.begin_date, job.end_date) == (
        PositionType.MAIN, 1.0, date(2012, 9, 1), None)
    short = validate_person({k: RECORD[k] for k in ("frmr_id", "snils", "last_name", "first_name")})
    assert short.employments == ()


def _with(path: str, value: Any) -> dict[str, Any]:
    record = copy.deepcopy(RECORD)
    *parents, last = path.split(".")
    target: Any = record
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return record


MISSING = KeyError
NOT_A_DATE = "must be a date written YYYY-MM-DD"


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("frmr_id", MISSING, "frmr_id: is required"),
        ("frmr_id", "", "frmr_id: is required"),
        ("frmr_id", None, "frmr_id: is required"),
        ("frmr_id", 17, "frmr_id: must be a non-blank string"),
        ("frmr_id", "F" * 65, "frmr_id: must be at most 64 characters"),
        ("snils", MISSING, "snils: is required"),
        ("snils", "112-233-445 96", "snils: the SNILS control number does not match"),
        ("snils", 11223344595, "snils: a SNILS is eleven digits, optionally written as NNN-NNN-NNN CC"),
        ("snils", "000-000-000 00", "snils: the all-zero SNILS is a placeholder"),
        ("last_name", MISSING, "last_name: is required"),
        ("last_name", "   ", "last_name: must be a non-blank string"),
        ("first_name", ["Мария"], "first_name: must be a non-blank string"),
        ("first_name", "М" * 101, "first_name: must be at most 100 characters"),
        ("middle_name", 5, "middle_name: must be a non-blank string"),
        ("gender", "Ж", "gender: must be M or F"),
        ("gender", "m", "gender: must be M or F"),
        ("birth_date", "14.03.1985", "birth_date: must be a date written YYYY-MM-DD"),
        ("birth_date", "1985-02-30", "birth_date: must be a date written YYYY-MM-DD"),
        ("birth_date", "19850314", "birth_date: must be a date written YYYY-MM-DD"),
        ("birth_date", 482284800, "birth_date: must be a date written YYYY-MM-DD"),
        ("roles", "registry_admin", "roles: must be a list of non-empty strings of at most 64 characters"),
        ("roles", ["ok", ""], "roles: must be a list of non-empty strings of at most 64 characters"),
        ("employments", {"rate": 1}, "employments: must be a list"),
        ("employments", ["job"], "employments[0]: must be a JSON object"),
        ("employments.0.organization_oid", MISSING, "employments[0].organization_oid: is required"),
        ("employments.0.organization_oid", "ГКБ-1",
         "employments[0].organization_oid: must be an OID such as 1.2.643.5.1.13.13.12.2.77.7871"),
        ("employments.0.organization_name", "", "employments[0].organization_name: is required"),
        ("employments.0.organization_name", "Г" * 501,
         "employments[0].organization_name: must be at most 500 characters"),
        ("employments.0.post_id", 109, "employments[0].post_id: must be a non-blank string"),
        ("employments.0.post_id", "9999", "employments[0].post_id: is not a code of the post directory"),
        ("employments.0.salary", 1, "employments[0].salary: unknown field"),
        ("extra_section", {"x": 1}, "extra_section: unknown field"),
        ("employments.0.position_type", 5, "employments[0].position_type: must be 1, 2, 3 or 4"),
        ("employments.0.position_type", 0, "employments[0].position_type: must be 1, 2, 3 or 4"),
        ("employments.0.position_type", "1", "employments[0].position_type: must be 1, 2, 3 or 4"),
        ("employments.0.position_type", True, "employments[0].position_type: must be 1, 2, 3 or 4"),
        ("employments.0.position_type", 1.0, "employments[0].position_type: must be 1, 2, 3 or 4"),
        ("employments.0.rate", 0, "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", -0.25, "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", 1.51, "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", "1.0", "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", True, "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", MISSING, "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", float("nan"), "employments[0].rate: must be between 0 and 1.5"),
        ("employments.0.rate", 0.333, "employments[0].rate: must have at most two decimal places"),
        ("employments.0.begin_date", MISSING, "employments[0].begin_date: is required"),
        ("employments.0.begin_date", "2012-9-1", f"employments[0].begin_date: {NOT_A_DATE}"),
        ("employments.0.end_date", "2012-08-31", "employments[0].end_date: must not be before begin_date"),
        ("employments.0.end_date", "31.12.2020", f"employments[0].end_date: {NOT_A_DATE}"),
    ],
)
def test_each_field_is_checked(path: str, value: Any, problem: str) -> None:
    assert problems_of(_with(path, value)) == [problem]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("employments.0.rate", 1.5), ("employments.0.rate", 0.01), ("employments.0.rate", 1),
        ("employments.0.position_type", 4), ("employments.0.end_date", "2012-09-01"),
        ("snils", "11223344595"), ("snils", "001-001-998 00"), ("gender", "M"),
        ("employments.0.post_name", MISSING),
    ],
)
def test_edge_values_are_accepted(path: str, value: Any) -> None:
    validate_person(_with(path, value))


def test_every_bad_field_of_a_record_is_listed_and_no_value_is_quoted() -> None:
    record = person(1, snils="112-233-445 96", gender="X")
    record["employments"].append({"organization_oid": "1.2.3", "rate": 2})
    problems = problems_of(record)
    assert problems == [
        "snils: the SNILS control number does not match",
        "gender: must be M or F",
        "employments[1].organization_name: is required",
        "employments[1].post_id: is required",
        "employments[1].position_type: must be 1, 2, 3 or 4",
        "employments[1].rate: must be between 0 and 1.5",
        "employments[1].begin_date: is required",
    ]
    assert not any("112" in p or "233" in p for p in problems)
    assert problems_of(["not", "an", "object"]) == ["must be a JSON object"]


class MemoryWriter:
    def __init__(self, taken: Sequence[str] = ()) -> None:
        self.taken = set(taken)
        self.batches: list[list[FrmrPerson]] = []

    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = ()
    ) -> list[int]:
        self.batches.append(list(persons))
        return [i for i, p in enumerate(persons) if p.snils in self.taken]


def _stream(records: list[Any]) -> io.StringIO:
    return io.StringIO(json.dumps(records, ensure_ascii=False, indent=2))


async def test_valid_records_go_to_the_writer_in_batches() -> None:
    writer = MemoryWriter()
    report = await import_records(read_records(_stream([person(n) for n in range(7)])), writer, batch_size=3)
    assert [len(b) for b in writer.batches] == [3, 3, 1]
    assert [p.frmr_id for b in writer.batches for p in b] == [f"FRMR-{n}" for n in range(7)]
    assert (report.imported, report.skipped, report.problems, report.fatal) == (7, 0, [], None)
    assert report.summary() == "imported 7, skipped 0"


async def test_invalid_and_refused_records_are_skipped_with_their_number_and_line() -> None:
    records = [person(0), person(1), person(2), person(3)]
    records[1]["employments"][0]["rate"] = 1.75
    records[3]["snils"] = RECORD["snils"]
    writer = MemoryWriter(taken=["11223344595"])
    report = await import_records(read_records(_stream(records)), writer, batch_size=2)
    assert (report.imported, report.skipped) == (2, 2)
    line_of = [24 * n + 2 for n in range(4)]  # indent=2 puts one record on 24 lines
    assert report.problems == [
        f"record 2 (line {line_of[1]}): employments[0].rate: must be between 0 and 1.5",
        f"record 4 (line {line_of[3]}): snils: ***-***-445 95 already belongs to another FRMR person",
    ]
    assert "112-233-445 95" not in report.summary()
    assert "11223344595" not in report.summary()
    assert report.summary().splitlines()[:2] == ["imported 2, skipped 2", "problems (2):"]


async def test_only_the_first_problems_are_kept_but_all_are_counted() -> None:
    records = [person(n, gender="X", birth_date="-") for n in range(40)]
    report = await import_records(read_records(_stream(records)), MemoryWriter(), max_problems=50)
    assert (report.imported, report.skipped, report.problem_count, len(report.problems)) == (0, 40, 80, 50)
    assert report.summary().splitlines()[1] == "problems (first 50 of 80):"


async def test_a_fault_in_the_file_keeps_what_came_before_it() -> None:
    text = json.dumps([person(1), person(2)], indent=2)[:-2] + ",\n  {oops}\n]"
    writer = MemoryWriter()
    report = await import_records(read_records(io.StringIO(text)), writer, batch_size=500)
    assert [p.frmr_id for b in writer.batches for p in b] == ["FRMR-1", "FRMR-2"]
    assert report.imported == 2
    assert report.fatal is not None
    assert report.fatal.startswith("line 50 column 4: Expecting property name enclosed in double quotes")
    assert report.summary().endswith(f"stopped: {report.fatal}")


async def test_json_lines_records_that_do_not_decode_are_skipped() -> None:
    text = json.dumps(person(1)) + "\n{broken\n" + json.dumps(person(2)) + "\n"
    report = await import_records(read_records(io.StringIO(text), jsonl=True), MemoryWriter())
    assert (report.imported, report.skipped) == (2, 1)
    assert report.problems == ["record 2 (line 2): not valid JSON: Expecting property name enclosed in "
                               "double quotes (column 2)"]
