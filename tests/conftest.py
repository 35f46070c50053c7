"""Shared fixtures.

Database tests run against every backend in ``DB_BACKENDS``: SQLite always,
PostgreSQL when ``SEGUR_TEST_POSTGRES_URL`` is set (``.ci/run`` and the
Makefile set it). Under ``CI=true`` a missing PostgreSQL URL is an error, not a
silent reduction of the suite. Each test session works in its own PostgreSQL
schema, so concurrent runs on one server do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from segur_app.core.db import make_engine
from segur_app.domain import models  # noqa: F401  (registers tables)

POSTGRES_URL = os.environ.get("SEGUR_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"

if IN_CI and not POSTGRES_URL:
    raise pytest.UsageError("CI=true requires SEGUR_TEST_POSTGRES_URL (PostgreSQL tests must run)")

DB_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
#: ``@postgres_only``: a test of what only PostgreSQL can show runs on it alone, never
#: on SQLite (without SEGUR_TEST_POSTGRES_URL it has no case; CI=true refuses that).
postgres_only = pytest.mark.parametrize(
    "engine", [b for b in DB_BACKENDS if b == "postgresql"], indirect=True)


def postgres_schema_url(base_url: str, schema: str) -> str:
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


def create_empty_database(backend: str, tmp_dir: Path) -> tuple[str, callable]:
    """Return (url, cleanup) for a brand-new, empty database of ``backend``."""
    if backend == "sqlite":
        path = tmp_dir / f"segur-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def cleanup() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return postgres_schema_url(POSTGRES_URL, schema), cleanup


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """A real clamd (local EICAR signature), for the whole test session."""
    from tests.clamd_helpers import ClamdServer
    from tests.mail_helpers import free_port

    server = ClamdServer(tmp_path_factory.mktemp("clamd"), tcp_port=free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=DB_BACKENDS)
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One schema per backend per test session, created from the models."""
    url, cleanup = create_empty_database(request.param, tmp_path_factory.mktemp("db"))
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()
    cleanup()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on a clean database; every table is emptied after the test."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


# --------------------------------------------------------------------------
# Document stores: a local directory, and an S3-compatible server on this machine
# --------------------------------------------------------------------------

STORE_KINDS = ["local", "s3"]
S3_TEST_BUCKET = "segur-tests"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """An S3-compatible server for the whole session (``tests/s3_server.py``)."""
    from tests.s3_server import start_s3_server

    server = start_s3_server(data_dir=tmp_path_factory.mktemp("s3"), bucket=S3_TEST_BUCKET)
    yield server
    server.stop()


def s3_store_for(server, prefix: str, **settings):
    """An S3Store on ``server``'s test bucket under its own ``prefix``."""
    from segur_app.domain.storage.s3 import S3Store

    return S3Store(bucket=S3_TEST_BUCKET, prefix=prefix,
                   settings=server.s3_settings(**settings))


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    """The document store of a test, once per kind: a private directory, then
    a prefix of its own in a bucket of the S3 server."""
    from segur_app.domain.storage import LocalStore

    if request.param == "local":
        return LocalStore(tmp_path / "storage")
    server = request.getfixturevalue("s3_server")
    return s3_store_for(server, f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def link(s3_server):
    """A way to the S3 server that the test cuts (connections refused and reset)."""
    relay = s3_server.link()
    yield relay
    relay.close()


def outage_store(s3_server, link):
    """A store reached through ``link`` that gives up at once (1 s, one attempt)."""
    return s3_store_for(s3_server, f"outage-{uuid.uuid4().hex[:12]}", endpoint_url=link.url,
                        timeout_seconds=1.0, max_attempts=1)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Process-wide caches start empty in every test (each test has its own
    database): the published news pages (domain/news.published_pages)."""
    from segur_app.domain import news

    news.published_pages.forget()
    yield
    news.published_pages.forget()
