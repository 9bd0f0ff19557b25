"""``frmr-sso keys …`` as an operator runs it: real subprocesses."""

from __future__ import annotations

import asyncio
import re

from frmr_sso.storage.sql import SqlAuditRepository, create_engine
from tests.e2e.cli.support import ok, run


def _keys(env: dict[str, str]) -> list[list[str]]:
    return [line.split() for line in ok(env, "keys", "list").splitlines()[1:]]


def test_keys_rotate_and_list(migrated: dict[str, str]) -> None:
    env = migrated
    out = ok(env, "keys", "rotate")
    assert re.search(r"^RS256: new active key \S+$", out, re.M)
    assert re.search(r"^ES256: new active key \S+$", out, re.M)
    first = {row[1]: row[0] for row in _keys(env)}
    assert set(first) == {"RS256", "ES256"}

    out = ok(env, "keys", "rotate", "--alg", "RS256")
    new_kid = re.search(r"^RS256: new active key (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    assert "ES256" not in out
    rows = {row[0]: row for row in _keys(env)}
    assert rows[new_kid][1:3] == ["RS256", "active"]
    assert rows[first["RS256"]][1:3] == ["RS256", "previous"]
    assert rows[first["RS256"]][4] != "-"  # not_after is set
    assert rows[first["ES256"]][1:3] == ["ES256", "active"]
    assert "v1." not in ok(env, "keys", "list")

    bad = run(env, "keys", "rotate", "--alg", "HS256")
    assert bad.returncode == 2


def test_a_key_rotation_is_audited(migrated: dict[str, str]) -> None:
    out = ok(migrated, "keys", "rotate", "--alg", "ES256")
    kid = re.search(r"^ES256: new active key (\S+)$", out, re.M).group(1)  # type: ignore[union-attr]

    async def rotations() -> list[dict[str, object]]:
        engine = create_engine(migrated["FRMR_SSO_DATABASE_URL"])
        try:
            records = await SqlAuditRepository(engine).list()
        finally:
            await engine.dispose()
        return [dict(r.details, ua=r.user_agent) for r in records if r.event_type == "keys.rotated"]

    [rotation] = asyncio.run(rotations())
    assert (rotation["kid"], rotation["alg"]) == (kid, "ES256")
    assert str(rotation["ua"]).startswith("frmr-sso keys rotate (")
