"""Apply Alembic migrations programmatically (same scripts as `alembic upgrade head`),
and the start-up schema check that replaces Reflex's.

``reflex run`` compares the models with the database through its own Alembic
environment, which knows nothing of the search tables made by raw DDL
(``domain/search_ddl.py``: FTS5 tables on SQLite, trigram indexes on
PostgreSQL): on every start it printed « Detected database schema changes. Run
reflex db makemigrations » on an up-to-date database — and that command would
have written a migration dropping them. :func:`use_portal_schema_check`
(called from ``rxconfig.py``) swaps that check for :func:`schema_problems`,
the comparison of ``alembic/env.py`` and ``tests/test_migrations.py`` (the
same ``include_name`` filter), which still reports a database behind the
migrations or a model changed without one.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from segur_app.core.config import PROJECT_ROOT

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the latest schema revision."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def schema_problems(engine: Engine) -> list[str]:
    """What keeps the database behind ``engine`` from matching the code (French,
    for the operator): not at the latest migration, or models that differ from
    the migrations. Empty when all is well."""
    from sqlmodel import SQLModel

    from segur_app.domain import models  # noqa: F401  (registers the tables)
    from segur_app.domain.search_ddl import include_name

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name})
        current = context.get_current_revision()
        if current != head:
            return [f"la base est à la migration {current or 'aucune'}, le code attend {head} : "
                    "lancez « make migrate » (alembic upgrade head)"]
        diff = compare_metadata(context, SQLModel.metadata)
    if diff:
        return [f"les modèles diffèrent des migrations ({len(diff)} écart(s), p. ex. "
                f"{str(diff[0])[:120]}) : écrivez la migration (alembic revision --autogenerate)"]
    return []


def use_portal_schema_check() -> None:
    """Make ``reflex run`` check the schema with :func:`schema_problems`."""
    from reflex.utils import prerequisites

    def check_schema_up_to_date() -> None:
        from segur_app.core.db import get_engine

        try:
            problems = schema_problems(get_engine())
        except Exception as exc:  # the database may be down: the app reports it itself
            log.warning("schema check skipped: %s", exc)
            return
        for problem in problems:
            log.error("Schéma de la base : %s", problem)

    prerequisites.check_schema_up_to_date = check_schema_up_to_date
