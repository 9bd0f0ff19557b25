"""Accounts of the brokered-login scenario: one copy of the mock ESIA's demo doctor per virtual
browser (own phone, e-mail, oid and SNILS), and their FRMR records in the broker's registry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from stack import ROOT

DOCTOR_PHONE = "+79990000001"  # the mock's confirmed doctor with an FRMR record and an SMS second factor


def write_accounts(tmp: Path, count: int) -> tuple[Path, Path]:
    """The mock's accounts file with ``count`` copies of the doctor (own phone, e-mail, oid, SNILS), one
    per virtual browser: each reads only its own SMS from the outbox."""
    import yaml

    source = yaml.safe_load((ROOT / "mock_esia" / "data" / "accounts.yaml").read_text(encoding="utf-8"))
    doctor = next(a for a in source["accounts"] if a["phone"] == DOCTOR_PHONE)
    accounts, logins = [], []
    for i in range(count):
        phone = f"+7998{i:07d}"
        accounts.append(
            {
                **doctor,
                "oid": 2000000000 + i,
                "phone": phone,
                "email": f"bench{i}@example.test",
                "snils": bench_snils(i),
                "contacts": [{"type": "MBT", "vrfStu": "VERIFIED", "value": phone}],
            }
        )
        logins.append({"login": phone, "password": doctor["password"]})
    accounts_file, logins_file = tmp / "accounts.yaml", tmp / "logins.json"
    accounts_file.write_text(yaml.safe_dump({"accounts": accounts}, allow_unicode=True), encoding="utf-8")
    logins_file.write_text(json.dumps(logins), encoding="utf-8")
    return accounts_file, logins_file


def bench_snils(i: int) -> str:
    """A valid SNILS (checksum rule) per bench account: 500-000-000 + i."""
    from frmr_sso.identity.snils import control_number

    first_nine = f"{500_000_000 + i:09d}"
    return f"{first_nine[:3]}-{first_nine[3:6]}-{first_nine[6:]} {control_number(first_nine):02d}"


def seed_registry(database_url: str, count: int) -> None:
    """FRMR records for the bench accounts: the demo doctor's record under each bench SNILS, written
    with the broker's own repository (as ``frmr-sso registry import`` would)."""
    from dataclasses import replace

    from frmr_sso.identity.snils import parse_snils
    from frmr_sso.registry.demo import load_demo_persons
    from frmr_sso.storage.sql import SqlRegistryRepository
    from frmr_sso.storage.sql.engine import create_engine

    doctor = next(p for p in load_demo_persons() if p.snils == parse_snils("112-233-445 95").digits)

    async def seed() -> None:
        engine = create_engine(database_url)
        try:
            repository = SqlRegistryRepository(engine)
            for i in range(count):
                await repository.upsert(
                    replace(doctor, frmr_id=f"FRMR-BENCH-{i:05d}", snils=parse_snils(bench_snils(i)).digits)
                )
        finally:
            await engine.dispose()

    asyncio.run(seed())
