"""Schema migrations (Alembic) as plain functions, used by the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect

from iku.errors import UserError
from iku.i18n import N_, _

MSG_UNKNOWN_REVISION = N_(
    "The schema revision '%(revision)s' is unknown (%(detail)s); use head, base, -1 or a "
    "revision code from `iku db current`."
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config, bound to an engine when one is given (migrations need one)."""
    if not ALEMBIC_INI.is_file():
        raise FileNotFoundError(
            f"{ALEMBIC_INI} not found: install the project from its checkout (pip install -e .)"
        )
    config = Config(str(ALEMBIC_INI))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _with_connection(config: Config, action: str, revision: str) -> None:
    engine: Engine = config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (create, copy, drop, rename); with foreign keys
            # on, dropping the old table would cascade-delete every row that refers to it.
            # The pragma only takes effect outside a transaction, hence before the migration.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                try:
                    getattr(command, action)(config, revision)
                except CommandError as exc:
                    detail = str(exc).rstrip(".")
                    raise UserError(
                        _(MSG_UNKNOWN_REVISION, revision=revision, detail=detail)
                    ) from None
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the schema up to ``revision``."""
    _with_connection(alembic_config(engine), "upgrade", revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Migrate the schema down to ``revision`` (one step by default; ``base`` drops all)."""
    _with_connection(alembic_config(engine), "downgrade", revision)


def heads() -> list[str]:
    """The head revisions of the migration scripts (exactly one when the history is linear)."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at the single head."""
    return current_revision(engine) in heads()


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


class RoleError(ValueError):
    """The application role cannot be set up as asked; the message says why."""


#: Tables the application may read and add to, never change: the append-only decision log.
APPEND_ONLY_TABLES = ("review_decision", "period_event")


def grant_application_role(engine: Engine, role: str) -> list[str]:
    """Give PostgreSQL role ``role`` what the application needs on the schema the engine
    works in, and no more: read and write every table, but on the decision log only SELECT and
    INSERT, and on the migration table only SELECT. Run it as the owner of the schema (the
    role that runs ``iku db upgrade``), after every upgrade; return the statements run.

    Refused when ``role`` is a superuser, or owns (or is a member of a role that owns) the
    schema or the decision log: an owner can truncate, drop, or disable the triggers that
    keep the log append-only, whatever it was granted."""
    if engine.dialect.name != "postgresql":
        raise RoleError(
            _("Database roles exist on PostgreSQL only; SQLite has no users: nothing to grant.")
        )
    from sqlalchemy import text

    with engine.begin() as connection:
        found = connection.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).first()
        if found is None:
            raise RoleError(
                _(
                    "The role '%(role)s' does not exist; create it first (CREATE ROLE), then "
                    "run again.",
                    role=role,
                )
            )
        if found[0]:
            raise RoleError(
                _(
                    "The role '%(role)s' is a superuser; the application needs a plain role: "
                    "create one and grant it instead.",
                    role=role,
                )
            )
        schema, schema_owner = connection.execute(
            text(
                "SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n "
                "WHERE n.nspname = current_schema()"
            )
        ).one()
        owners = {schema_owner}
        for table in APPEND_ONLY_TABLES:
            owner = connection.scalar(
                text(
                    "SELECT tableowner FROM pg_tables "
                    "WHERE schemaname = current_schema() AND tablename = :table"
                ),
                {"table": table},
            )
            if owner is None:
                raise RoleError(
                    _("The table %(table)s is missing; run `iku db upgrade` first.", table=table)
                )
            owners.add(owner)
        for owner in sorted(owners):
            member = connection.scalar(
                text("SELECT pg_has_role(:role, :owner, 'MEMBER')"),
                {"role": role, "owner": owner},
            )
            if member:
                raise RoleError(
                    _(
                        "The role '%(role)s' is (or is a member of) '%(owner)s', which owns the "
                        "schema %(schema)s or the decision log; the application must connect as "
                        "another role (README, 'Running in production').",
                        role=role,
                        owner=owner,
                        schema=schema,
                    )
                )
        quote = connection.dialect.identifier_preparer.quote
        who, where = quote(role), quote(schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {where} TO {who}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {where} FROM {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
            f"REVOKE INSERT, UPDATE, DELETE ON {where}.alembic_version FROM {who}",
            *(
                f"REVOKE UPDATE, DELETE ON {where}.{quote(table)} FROM {who}"
                for table in APPEND_ONLY_TABLES
            ),
        ]
        for statement in statements:
            connection.execute(text(statement))
    return statements
