"""Alembic environment: migrates the database named by the portal settings.

`alembic upgrade head` works standalone (no Reflex needed). A caller may pass
an explicit connection through ``config.attributes["connection"]`` (the tests
and ``segur_app.core.migrations`` do).
"""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

from segur_app.core.config import get_settings
from segur_app.core.db import make_engine
from segur_app.domain import models  # noqa: F401  (registers the tables)
from segur_app.domain.search_ddl import include_name

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,  # trigram indexes and FTS5 tables: search_ddl.py
    )


def run_migrations_offline() -> None:
    context.configure(
        url=get_settings().db_url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings().db_url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
