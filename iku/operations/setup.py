"""Setting a database up: the schema (Alembic) and the catalog (master data)."""

from __future__ import annotations

from pathlib import Path

from iku import migrate
from iku.catalog import LoadReport, load_catalog
from iku.runtime import Runtime


def upgrade_schema(rt: Runtime, revision: str = "head") -> str | None:
    """Migrate the schema up to ``revision``; return the revision the database is at."""
    migrate.upgrade(rt.engine, revision=revision)
    return migrate.current_revision(rt.engine)


def load(rt: Runtime, directory: Path | None = None) -> LoadReport:
    """Check the catalog and upsert it in one transaction (nothing changes if it has problems)."""
    return load_catalog(directory or rt.paths.catalog, rt.engine, rt.rules)


def setup(rt: Runtime) -> tuple[str | None, LoadReport]:
    """What a first run needs: the schema at head and the catalog loaded."""
    revision = upgrade_schema(rt)
    return revision, load(rt)
