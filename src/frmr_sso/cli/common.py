"""What the ``frmr-sso`` commands share: the engine around one action, the operator's audit record,
plain-text tables and the one-line error."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from frmr_sso.audit.events import AuditContext
from frmr_sso.config import Settings
from frmr_sso.errors import FrmrSsoError
from frmr_sso.storage.errors import StorageConflict, StorageError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def fail(message: str, code: int = 1) -> int:
    """One line on stderr, prefixed with the program's name; the exit status to return."""
    print(f"frmr-sso: {message}", file=sys.stderr)
    return code


def with_engine(
    settings: Settings, action: Callable[[AsyncEngine], Awaitable[int]], *, failure: int = 1
) -> int:
    """Run ``action`` on an engine of FRMR_SSO_DATABASE_URL once the database is open and migrated;
    a store failure is one line and exit status ``failure``."""
    from frmr_sso.storage.sql.engine import create_engine

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            if problem := await database_problem(engine):
                return fail(problem, failure)
            return await action(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except OSError as exc:  # the engine could not make the SQLite file's folder
        reason = f"{exc.filename}: {exc.strerror}"
        return fail(f"FRMR_SSO_DATABASE_URL: cannot open the database ({reason})", failure)
    except StorageConflict as exc:
        return fail(str(exc), failure)
    except StorageError as exc:
        stores = "FRMR_SSO_DATABASE_URL" + (" and FRMR_SSO_REDIS_URL" if settings.redis_url else "")
        return fail(f"{exc} ({cause(exc)}; check {stores})", failure)
    except FrmrSsoError as exc:
        return fail(str(exc), failure)


async def database_problem(engine: AsyncEngine, *, wait: float = 10) -> str | None:
    """Why the commands cannot use the database (cannot open it, no schema), or None."""
    from frmr_sso.storage.sql.migrate import current_revisions

    try:
        current = await asyncio.wait_for(current_revisions(engine), wait)
    except TimeoutError:
        return f"FRMR_SSO_DATABASE_URL: the database did not answer within {wait:g} s"
    except StorageError as exc:
        return f"FRMR_SSO_DATABASE_URL: cannot open the database ({cause(exc)})"
    if not current:
        return "the database of FRMR_SSO_DATABASE_URL has no schema yet; run `frmr-sso migrate`"
    return None


def cause(exc: BaseException) -> str:
    """The first line of the driver's own message behind a storage error (a connection failure says
    what failed: refused, unknown host, unable to open the file)."""
    inner: BaseException = exc
    while inner.__cause__ is not None or getattr(inner, "orig", None) is not None:
        inner = getattr(inner, "orig", None) or inner.__cause__  # type: ignore[assignment]
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text[:160]


async def admin_audit(
    engine: AsyncEngine, event: str, command: str, *, client_id: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """One audit record per administrative command that changed something (the operator as user agent)."""
    from frmr_sso.audit.events import Event
    from frmr_sso.bootstrap.commands import command_auditor

    context = operator_context(command)
    await command_auditor(engine).record(Event[event], context, client_id=client_id, details=details)


def operator_context(command: str) -> AuditContext:
    """The audit context of an operator's command: the command and the operator as user agent."""
    return AuditContext(user_agent=f"frmr-sso {command} ({operator()})")


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
