"""Errors of a statement sent through the asyncpg driver directly, as ``translate_errors`` turns
SQLAlchemy's: a constraint violation is a conflict, anything else of the driver a store failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from frmr_sso.storage.errors import StorageConflict, StorageError


@contextmanager
def driver_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise StorageConflict(f"{operation}: conflicts with stored data") from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageError(f"{operation} failed: {type(exc).__name__}") from exc
