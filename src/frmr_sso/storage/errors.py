"""Storage failures as the rest of the broker sees them.

    FrmrSsoError (frmr_sso.errors)
     └── StorageError           the store could not do what was asked (down, timeout, refused)
          └── StorageConflict   the write contradicts stored data (duplicate key, unique value taken)

Adapters raise only these, chained to the driver exception for the log, so no
caller ever imports SQLAlchemy, asyncpg or aiosqlite to handle a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from frmr_sso.errors import FrmrSsoError


class StorageError(FrmrSsoError):
    """The durable store failed; the message names the operation, never the data."""


class StorageConflict(StorageError):
    """A unique key or value is already taken."""


@contextmanager
def translate_errors(operation: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy exceptions raised inside the block into storage errors."""
    try:
        yield
    except IntegrityError as exc:
        raise StorageConflict(f"{operation}: conflicts with stored data") from exc
    except StatementError as exc:
        if not isinstance(exc, DBAPIError) and isinstance(exc.orig, ValueError | TypeError):
            raise exc.orig from None  # a value the caller got wrong (naive datetime), not a store failure
        raise StorageError(f"{operation} failed: {_describe(exc)}") from exc
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise StorageError(f"{operation} failed: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """The driver's exception class, never its message: messages may quote stored values."""
    driver = getattr(exc, "orig", None) or exc
    driver = driver.__cause__ or driver  # asyncpg errors sit behind SQLAlchemy's adapter
    return type(driver).__name__
