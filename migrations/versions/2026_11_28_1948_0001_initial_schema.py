"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 19:48:18.448559+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False, comment="current official name"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('opd', 'kabupaten', 'kota', 'provinsi')", name=op.f("ck_agency_kind")
        ),
        sa.CheckConstraint(
            "sector IN ('pemerintahan', 'pendidikan', 'kesehatan', 'ekonomi', 'sosial', 'infrastruktur', 'lingkungan', 'makro')",
            name=op.f("ck_agency_sector"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_agency_code")),
    )
    op.create_table(
        "evaluation_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'partial', 'failed')",
            name=op.f("ck_evaluation_cycle_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_cycle")),
        sa.UniqueConstraint("period", name=op.f("uq_evaluation_cycle_period")),
    )
    op.create_table(
        "agency_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_agency_name_valid_range")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_agency_name_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_name")),
        sa.UniqueConstraint(
            "agency_id", "valid_from", name=op.f("uq_agency_name_agency_id_valid_from")
        ),
    )
    op.create_table(
        "agency_region_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("code_system", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "code_system IN ('kemendagri', 'bps')", name=op.f("ck_agency_region_code_code_system")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_agency_region_code_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_region_code")),
        sa.UniqueConstraint(
            "agency_id", "code_system", name=op.f("uq_agency_region_code_agency_id_code_system")
        ),
        sa.UniqueConstraint(
            "code_system", "code", name=op.f("uq_agency_region_code_code_system_code")
        ),
    )
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column(
            "subject_key",
            sa.String(length=80),
            nullable=False,
            comment="'province' or the agency code",
        ),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("html_path", sa.String(length=500), nullable=True),
        sa.Column("pdf_path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "audience IN ('province', 'agency', 'steward', 'index')",
            name=op.f("ck_bulletin_audience"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_bulletin_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["evaluation_cycle.id"],
            name=op.f("fk_bulletin_cycle_id_evaluation_cycle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
        sa.UniqueConstraint(
            "cycle_id",
            "audience",
            "subject_key",
            name=op.f("uq_bulletin_cycle_id_audience_subject_key"),
        ),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("polarity", sa.String(length=16), nullable=False),
        sa.Column(
            "negative_formula",
            sa.String(length=8),
            nullable=True,
            comment="null: the rules file's default",
        ),
        sa.Column("consolidation", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column(
            "cumulative",
            sa.Boolean(),
            nullable=False,
            comment="values are cumulative to date and must not decrease",
        ),
        sa.Column("evidence_required", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True, comment="hard lower bound of a value"),
        sa.Column("max_value", sa.Float(), nullable=True, comment="hard upper bound of a value"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "consolidation IN ('sum', 'average', 'last')", name=op.f("ck_indicator_consolidation")
        ),
        sa.CheckConstraint(
            "frequency IN ('monthly', 'quarterly', 'semester', 'annual')",
            name=op.f("ck_indicator_frequency"),
        ),
        sa.CheckConstraint(
            "negative_formula IS NULL OR negative_formula IN ('2T-R', 'T/R')",
            name=op.f("ck_indicator_negative_formula"),
        ),
        sa.CheckConstraint(
            "polarity IN ('positive', 'negative', 'range')", name=op.f("ck_indicator_polarity")
        ),
        sa.CheckConstraint(
            "sector IN ('pemerintahan', 'pendidikan', 'kesehatan', 'ekonomi', 'sosial', 'infrastruktur', 'lingkungan', 'makro')",
            name=op.f("ck_indicator_sector"),
        ),
        sa.CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
            name=op.f("ck_indicator_bounds"),
        ),
        sa.CheckConstraint("weight > 0", name=op.f("ck_indicator_weight_positive")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_indicator_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "period", sa.String(length=7), nullable=True, comment="YYYY-MM; null if unreadable"
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("archive_path", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "file_format IN ('xlsx', 'csv', 'json')", name=op.f("ck_submission_file_format")
        ),
        sa.CheckConstraint(
            "status IN ('received', 'staged', 'rejected', 'validated', 'superseded')",
            name=op.f("ck_submission_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_submission_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["submission.id"],
            name=op.f("fk_submission_supersedes_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("sha256", name=op.f("uq_submission_sha256")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_agency_period", ["agency_id", "period"], unique=False)

    op.create_table(
        "realisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column(
            "accepted_by",
            sa.String(length=120),
            nullable=True,
            comment="null: accepted by validation; else the steward who overrode",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'angka' AND value IS NOT NULL) OR (state <> 'angka' AND value IS NULL)",
            name=op.f("ck_realisation_value_matches_state"),
        ),
        sa.CheckConstraint(
            "state IN ('angka', 'belum_tersedia', 'tidak_dilaporkan')",
            name=op.f("ck_realisation_state"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_realisation_indicator_id_indicator")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_realisation_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realisation")),
        sa.UniqueConstraint(
            "submission_id",
            "indicator_id",
            "period",
            name=op.f("uq_realisation_submission_id_indicator_id_period"),
        ),
    )
    with op.batch_alter_table("realisation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_realisation_indicator_period", ["indicator_id", "period"], unique=False
        )

    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "period_key",
            sa.String(length=8),
            nullable=False,
            comment="annual, M01-M12, Q1-Q4, S1-S2",
        ),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("comparator", sa.String(length=8), nullable=False),
        sa.Column("original_text", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source_document", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "comparator IN ('eq', 'le', 'lt', 'ge', 'gt', 'range')",
            name=op.f("ck_target_comparator"),
        ),
        sa.CheckConstraint(
            "period_key IN ('annual', 'M01', 'M02', 'M03', 'M04', 'M05', 'M06', 'M07', 'M08', 'M09', 'M10', 'M11', 'M12', 'Q1', 'Q2', 'Q3', 'Q4', 'S1', 'S2')",
            name=op.f("ck_target_period_key"),
        ),
        sa.CheckConstraint(
            "lower IS NOT NULL OR upper IS NOT NULL", name=op.f("ck_target_has_bound")
        ),
        sa.CheckConstraint(
            "lower IS NULL OR upper IS NULL OR lower <= upper", name=op.f("ck_target_bounds")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_target_version_positive")),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_target_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
        sa.UniqueConstraint(
            "indicator_id",
            "year",
            "period_key",
            "version",
            name=op.f("uq_target_indicator_id_year_period_key_version"),
        ),
    )
    op.create_table(
        "validation_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("indicator_code", sa.String(length=48), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("column_name", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("observed", sa.Text(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False, comment="in Bahasa Indonesia"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steward", sa.String(length=120), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('blocking', 'error', 'warning')",
            name=op.f("ck_validation_issue_severity"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'rejected', 'resolved')",
            name=op.f("ck_validation_issue_status"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_validation_issue_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_issue")),
    )
    with op.batch_alter_table("validation_issue", schema=None) as batch_op:
        batch_op.create_index("ix_validation_issue_status", ["status"], unique=False)

    op.create_table(
        "achievement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("subject_key", sa.String(length=80), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("sector", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_version", sa.Integer(), nullable=True),
        sa.Column("target_text", sa.String(length=120), nullable=True),
        sa.Column("target_lower", sa.Float(), nullable=True),
        sa.Column("target_upper", sa.Float(), nullable=True),
        sa.Column("realisasi", sa.Float(), nullable=True),
        sa.Column("realisasi_state", sa.String(length=20), nullable=True),
        sa.Column("capaian_raw", sa.Float(), nullable=True),
        sa.Column("capaian_scored", sa.Float(), nullable=True),
        sa.Column("predikat", sa.String(length=8), nullable=True),
        sa.Column("ytd_realisasi", sa.Float(), nullable=True),
        sa.Column("ytd_target", sa.Float(), nullable=True),
        sa.Column("ytd_capaian", sa.Float(), nullable=True),
        sa.Column("trend_delta", sa.Float(), nullable=True, comment="vs the previous period"),
        sa.Column("projection", sa.Float(), nullable=True, comment="projected year-end capaian"),
        sa.Column("is_at_risk", sa.Boolean(), nullable=False),
        sa.Column("n_included", sa.Integer(), nullable=True),
        sa.Column("n_missing", sa.Integer(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "level IN ('indicator', 'agency', 'sector', 'province')",
            name=op.f("ck_achievement_level"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_achievement_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["evaluation_cycle.id"],
            name=op.f("fk_achievement_cycle_id_evaluation_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_achievement_indicator_id_indicator")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["target.id"],
            name=op.f("fk_achievement_target_id_target"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement")),
        sa.UniqueConstraint(
            "cycle_id", "subject_key", name=op.f("uq_achievement_cycle_id_subject_key")
        ),
    )


def downgrade() -> None:

    op.drop_table("achievement")
    with op.batch_alter_table("validation_issue", schema=None) as batch_op:
        batch_op.drop_index("ix_validation_issue_status")

    op.drop_table("validation_issue")
    op.drop_table("target")
    with op.batch_alter_table("realisation", schema=None) as batch_op:
        batch_op.drop_index("ix_realisation_indicator_period")

    op.drop_table("realisation")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_agency_period")

    op.drop_table("submission")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_agency_id"))

    op.drop_table("indicator")
    op.drop_table("bulletin")
    op.drop_table("agency_region_code")
    op.drop_table("agency_name")
    op.drop_table("evaluation_cycle")
    op.drop_table("agency")
