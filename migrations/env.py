"""Alembic environment: async engine, SQLite batch mode, URL from the caller.

The URL is taken from, in order: ``config.attributes["database_url"]`` (set by
``frmr_sso.storage.sql.migrate``), ``-x url=...``, ``FRMR_SSO_DATABASE_URL``,
``sqlalchemy.url`` in the ini file, and the embedded default. A caller may also
hand over an open synchronous connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

import asyncio
import logging.config
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from frmr_sso.storage.sql.engine import async_url, create_engine
from frmr_sso.storage.sql.tables import metadata

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/frmr_sso.db"

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = (
        config.attributes.get("database_url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("FRMR_SSO_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or DEFAULT_DATABASE_URL
    )
    return str(url)


def _configure(**kwargs: object) -> None:
    context.configure(target_metadata=metadata, compare_type=True, **kwargs)  # type: ignore[arg-type]


def run_migrations_offline() -> None:
    url = async_url(database_url())
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # Our SQLite engine emits BEGIN itself, so a failed migration rolls back there too.
    _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
