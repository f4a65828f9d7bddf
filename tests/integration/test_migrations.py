"""Migrations: one head, models match the migrations, and up/down/up works with data present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select

from iku import migrate
from iku import models as m
from iku.catalog import load_catalog
from iku.db import Base, session_scope
from iku.settings import TIMEZONE
from tests.conftest import CATALOG_DIR


def test_single_head() -> None:
    assert len(migrate.heads()) == 1


def test_migration_files_are_date_stamped() -> None:
    import re

    names = [p.name for p in (migrate.PROJECT_ROOT / "migrations" / "versions").glob("*.py")]
    assert names
    for name in names:
        assert re.match(r"^\d{4}_\d{2}_\d{2}_\d{4}_\w+\.py$", name), name


def test_models_match_migrations(migrated: Engine) -> None:
    with migrated.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(
                select(func.count()).select_from(sa.table(table))
            ).scalar_one()
            for table in ("agency", "indicator", "target", "agency_name", "agency_region_code")
        }


def test_upgrade_downgrade_upgrade_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    load_catalog(CATALOG_DIR, engine)
    loaded = _counts(engine)
    assert loaded["agency"] > 0
    # Step down one revision at a time to the empty database, with data present.
    while migrate.current_revision(engine) is not None:
        migrate.downgrade(engine, "-1")
    assert "agency" not in migrate.table_names(engine)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    load_catalog(CATALOG_DIR, engine)
    assert _counts(engine) == loaded


def test_timestamps_are_timezone_aware(migrated: Engine) -> None:
    moment = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)
    with session_scope(migrated) as session:
        session.add(m.EvaluationCycle(period="2026-10", started_at=moment))
    with session_scope(migrated) as session:
        cycle = session.scalars(select(m.EvaluationCycle)).one()
        assert cycle.started_at == moment
        assert cycle.started_at is not None
        assert cycle.started_at.utcoffset() == timedelta(hours=7)
        assert cycle.started_at.tzinfo == TIMEZONE
        assert cycle.started_at.hour == 9  # 02:30 UTC is 09.30 WIB


def test_naive_timestamps_are_refused(migrated: Engine) -> None:
    with (
        pytest.raises(sa.exc.StatementError, match="naive datetime"),
        session_scope(migrated) as session,
    ):
        session.add(m.EvaluationCycle(period="2026-10", started_at=datetime(2026, 11, 2)))


@pytest.mark.parametrize(
    ("table", "values"),
    [
        ("agency", {"code": "X", "name": "X", "kind": "dinas", "sector": "makro"}),
        ("agency", {"code": "X", "name": "X", "kind": "opd", "sector": "olahraga"}),
        (
            "evaluation_cycle",
            {"period": "2026-10", "status": "done", "counts": "{}", "timings": "{}"},
        ),
    ],
)
def test_check_constraints_reject_unknown_enumerations(
    migrated: Engine, table: str, values: dict[str, str]
) -> None:
    now = datetime.now(TIMEZONE)
    if table == "agency":
        values = {**values, "is_active": True, "created_at": now, "updated_at": now}
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as connection:
        connection.execute(sa.table(table, *(sa.column(k) for k in values)).insert(), [values])


def test_migrating_keeps_the_rows_that_refer_to_rebuilt_tables(engine: Engine) -> None:
    """SQLite rebuilds tables in batch migrations; nothing that refers to them may be lost."""
    # The catalog is loaded through today's models, so at the latest schema; its rows stay
    # when the schema goes down to 0004.
    migrate.upgrade(engine)
    load_catalog(CATALOG_DIR, engine)
    migrate.downgrade(engine, "0004_ingest")
    with engine.begin() as connection:
        agency_id = connection.scalar(sa.text("SELECT id FROM agency WHERE code = 'DINKES'"))
        indicator_id = connection.scalar(
            sa.text("SELECT id FROM indicator WHERE code = 'DINKES-02'")
        )
        now = datetime.now(TIMEZONE)
        connection.execute(
            sa.text(
                "INSERT INTO submission (id, agency_id, period, file_name, file_format, sha256, "
                "size_bytes, archive_path, received_at, status, row_count) VALUES (1, :a, "
                "'2026-10', 'f.csv', 'csv', :sha, 1, '/a', :now, 'validated', 1)"
            ),
            {"a": agency_id, "sha": "0" * 64, "now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO realisation (submission_id, indicator_id, period, value, state, "
                "flags, created_at) VALUES (1, :i, '2026-10', 80, 'angka', '[]', :now)"
            ),
            {"i": indicator_id, "now": now},
        )

    def rows() -> int:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT count(*) FROM realisation")) or 0)

    migrate.upgrade(engine)
    assert rows() == 1
    migrate.downgrade(engine, "0004_ingest")
    assert rows() == 1
