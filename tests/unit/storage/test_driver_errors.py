"""A statement sent through asyncpg directly fails as SQLAlchemy's do: a conflict, or a store failure."""

from __future__ import annotations

import asyncpg
import pytest

from frmr_sso.storage.errors import StorageConflict, StorageError
from frmr_sso.storage.sql.driver_errors import driver_errors


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (asyncpg.UniqueViolationError("duplicate key value"), StorageConflict),
        (asyncpg.ForeignKeyViolationError("no such family"), StorageConflict),
        (asyncpg.QueryCanceledError("statement timeout"), StorageError),
        (asyncpg.InterfaceError("connection is closed"), StorageError),
    ],
)
def test_driver_errors_become_storage_errors(raised: Exception, expected: type[StorageError]) -> None:
    with pytest.raises(expected) as caught, driver_errors("rotating a refresh token"):
        raise raised
    assert caught.value.__cause__ is raised
    assert str(raised) not in str(caught.value)  # the driver's message may quote stored values


def test_other_errors_pass() -> None:
    with pytest.raises(KeyError), driver_errors("rotating a refresh token"):
        raise KeyError("a programming error stays one")
