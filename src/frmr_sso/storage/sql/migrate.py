"""Run the Alembic history from code: ``frmr-sso migrate``, the demo and the tests.

The scripts live in ``<repo>/migrations`` in a source checkout and in
``frmr_sso/_migrations`` inside the wheel. ``upgrade`` is synchronous because
the Alembic environment runs its own event loop; from async code call it as
``await asyncio.to_thread(upgrade, url)`` (or ``await upgrade_in_thread(url)``).
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import translate_errors

_HERE = Path(__file__).resolve()


def script_location() -> Path:
    """``<repo>/migrations`` when running from the source tree, else the packaged copy."""
    source_root = _HERE.parents[4]  # <repo>/src/frmr_sso/storage/sql/migrate.py
    if _HERE.parents[3].name == "src" and (source_root / "migrations" / "env.py").is_file():
        return source_root / "migrations"
    packaged = _HERE.parents[2] / "_migrations"
    if (packaged / "env.py").is_file():
        return packaged
    raise FileNotFoundError(f"no Alembic migrations next to {_HERE.parents[2]} or in the source tree")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    """The newest revision(s) of the scripts, read once per process (readiness asks often)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())


def _refuse_running_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{name}() blocks and runs its own event loop; call it via asyncio.to_thread")


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision`` (default: the newest)."""
    _refuse_running_loop("upgrade")
    with translate_errors("database migration"):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    _refuse_running_loop("downgrade")
    with translate_errors("database downgrade"):
        command.downgrade(alembic_config(database_url), revision)


def known_revisions() -> tuple[str, ...]:
    """Every revision of the scripts, oldest first (one linear history)."""
    script = ScriptDirectory.from_config(alembic_config(""))
    return tuple(reversed([revision.revision for revision in script.walk_revisions()]))


def migrate_to(database_url: str, revision: str) -> str:
    """Upgrade or downgrade to ``revision`` (``head``: the newest): ``upgraded``, ``downgraded`` or
    ``unchanged``. A downgrade runs the scripts' own ``downgrade`` steps, newest first."""
    _refuse_running_loop("migrate_to")
    order = known_revisions()
    target = order[-1] if revision == "head" else revision
    if target not in order:
        raise ValueError(f"unknown revision {revision!r} (known: {', '.join(order)})")
    current = asyncio.run(_recorded(database_url))
    at = max((order.index(r) for r in current if r in order), default=-1)
    wanted = order.index(target)
    if wanted < at:
        downgrade(database_url, target)
        return "downgraded"
    upgrade(database_url, target)
    return "upgraded" if wanted > at else "unchanged"


async def _recorded(database_url: str) -> frozenset[str]:
    from frmr_sso.storage.sql.engine import create_engine

    engine = create_engine(database_url)
    try:
        return await current_revisions(engine)
    finally:
        await engine.dispose()


async def upgrade_in_thread(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


def _current_heads(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """Revisions recorded in ``alembic_version``; empty for a database never migrated."""
    with translate_errors("reading the schema revision"):
        async with engine.connect() as conn:
            return await conn.run_sync(_current_heads)


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is exactly at the head of the migration scripts."""
    return await current_revisions(engine) == head_revisions()
