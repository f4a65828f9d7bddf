"""The data model: master data, submissions, realisations, the steward queue, cycles, results.

Enumerations are check constraints (portable between PostgreSQL and SQLite); every natural key
is a unique constraint, so concurrent writers are stopped by the database, not by luck.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iku.db import Base, TZDateTime, now_wib
from iku.enums import (
    COMPARATORS,
    CONSOLIDATIONS,
    FREQUENCIES,
    NEGATIVE_FORMULAS,
    POLARITIES,
    TARGET_PERIOD_KEYS,
)

AGENCY_KINDS: Final = ("opd", "kabupaten", "kota", "provinsi")
SECTORS: Final = (
    "pemerintahan",
    "pendidikan",
    "kesehatan",
    "ekonomi",
    "sosial",
    "infrastruktur",
    "lingkungan",
    "makro",
)
CODE_SYSTEMS: Final = ("kemendagri", "bps")
TARGET_PERIODS: Final = TARGET_PERIOD_KEYS
FILE_FORMATS: Final = ("xlsx", "csv", "json")
SUBMISSION_STATUSES: Final = ("received", "staged", "rejected", "validated", "superseded")
REALISATION_STATES: Final = ("angka", "belum_tersedia", "tidak_dilaporkan")
PARSE_STATUSES: Final = ("ok", "ambiguous", "invalid")
SEVERITIES: Final = ("blocking", "error", "warning")
ISSUE_STATUSES: Final = ("open", "accepted", "rejected", "resolved")
DECISIONS: Final = ("accept", "reject", "auto_resolve")
#: Decision -> the issue status it leads to.
DECISION_STATUS: Final = {"accept": "accepted", "reject": "rejected", "auto_resolve": "resolved"}
CYCLE_STATUSES: Final = ("pending", "running", "completed", "partial", "failed")
ACHIEVEMENT_LEVELS: Final = ("indicator", "agency", "sector", "province")
AUDIENCES: Final = ("province", "agency", "steward", "index")
DELIVERY_CHANNELS: Final = ("eml", "smtp")
DELIVERY_STATUSES: Final = ("sent", "failed")
#: A bulletin delivery: ``pending`` (intent recorded before sending), ``sent`` (the relay
#: accepted it, or the .eml file was written), ``failed`` (certainly not accepted), ``unknown``
#: (it may have reached the recipient: the process or the relay died mid-send).
BULLETIN_DELIVERY_STATUSES: Final = ("pending", "sent", "failed", "unknown")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


#: The statuses of a submission that is the current version for its agency and period.
_CURRENT_SUBMISSION = "status IN ('staged', 'validated')"
#: Submissions that count for duplicate detection: a rejected copy never hides a later good one.
_NOT_REJECTED = "status <> 'rejected'"


class Agency(Base):
    """A provincial OPD, a kabupaten/kota government, or the province itself. ``id`` is stable."""

    __tablename__ = "agency"
    __table_args__ = (
        CheckConstraint(_in("kind", AGENCY_KINDS), name="kind"),
        CheckConstraint(_in("sector", SECTORS), name="sector"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255), comment="current official name")
    kind: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib, onupdate=now_wib)

    names: Mapped[list[AgencyName]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="AgencyName.valid_from"
    )
    region_codes: Mapped[list[AgencyRegionCode]] = relationship(
        back_populates="agency", cascade="all, delete-orphan"
    )
    indicators: Mapped[list[Indicator]] = relationship(back_populates="agency")


class AgencyName(Base):
    """One name an agency carried, from ``valid_from`` until ``valid_to`` (null: still in use)."""

    __tablename__ = "agency_name"
    __table_args__ = (
        UniqueConstraint("agency_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    agency: Mapped[Agency] = relationship(back_populates="names")


class AgencyRegionCode(Base):
    """A region code with its code system: BPS ``1801`` and Kemendagri ``18.01`` differ."""

    __tablename__ = "agency_region_code"
    __table_args__ = (
        UniqueConstraint("code_system", "code"),
        UniqueConstraint("agency_id", "code_system"),
        CheckConstraint(_in("code_system", CODE_SYSTEMS), name="code_system"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    code_system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))

    agency: Mapped[Agency] = relationship(back_populates="region_codes")


class Indicator(Base):
    """An IKU as the Manual IKU defines it. Polarity and consolidation never come from a file."""

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(_in("polarity", POLARITIES), name="polarity"),
        CheckConstraint(
            f"negative_formula IS NULL OR {_in('negative_formula', NEGATIVE_FORMULAS)}",
            name="negative_formula",
        ),
        CheckConstraint(_in("consolidation", CONSOLIDATIONS), name="consolidation"),
        CheckConstraint(_in("frequency", FREQUENCIES), name="frequency"),
        CheckConstraint(_in("sector", SECTORS), name="sector"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="bounds"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    unit: Mapped[str] = mapped_column(String(64))
    polarity: Mapped[str] = mapped_column(String(16))
    negative_formula: Mapped[str | None] = mapped_column(
        String(8), comment="null: the rules file's default"
    )
    consolidation: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    cumulative: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="values are cumulative to date and must not decrease"
    )
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    sector: Mapped[str] = mapped_column(String(32))
    scale: Mapped[str | None] = mapped_column(
        String(32), comment="an ordinal target scale of the rules file (qualitative IKU)"
    )
    min_value: Mapped[float | None] = mapped_column(Float, comment="hard lower bound of a value")
    max_value: Mapped[float | None] = mapped_column(Float, comment="hard upper bound of a value")
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship(back_populates="indicators")
    targets: Mapped[list[Target]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan"
    )


class Target(Base):
    """A PK target. A Perubahan PK adds a higher ``version`` with its ``effective_from``."""

    __tablename__ = "target"
    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "period_key", "version"),
        CheckConstraint(_in("period_key", TARGET_PERIODS), name="period_key"),
        CheckConstraint(_in("comparator", COMPARATORS), name="comparator"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("lower IS NOT NULL OR upper IS NOT NULL", name="has_bound"),
        CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="bounds"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    period_key: Mapped[str] = mapped_column(String(8), comment="annual, M01-M12, Q1-Q4, S1-S2")
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(8))
    original_text: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[date] = mapped_column(Date)
    source_document: Mapped[str] = mapped_column(String(200), default="")

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Submission(Base):
    """One file an agency sent for one period, archived unchanged under its sha256."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint(_in("file_format", FILE_FORMATS), name="file_format"),
        CheckConstraint(_in("status", SUBMISSION_STATUSES), name="status"),
        Index("ix_submission_agency_period", "agency_id", "period"),
        # At most one current (staged or validated) version per agency and period.
        Index(
            "uq_submission_current",
            "agency_id",
            "period",
            unique=True,
            sqlite_where=text(_CURRENT_SUBMISSION),
            postgresql_where=text(_CURRENT_SUBMISSION),
        ),
        # The same bytes once per agency (another agency's identical file is its own
        # submission); rejected copies do not count, so a corrected resend is never a duplicate.
        Index(
            "uq_submission_agency_sha256",
            "agency_id",
            "sha256",
            unique=True,
            sqlite_where=text(_NOT_REJECTED),
            postgresql_where=text(_NOT_REJECTED),
        ),
        # Identical files across agencies are looked up by their hash alone.
        Index("ix_submission_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    period: Mapped[str | None] = mapped_column(String(7), comment="YYYY-MM; null if unreadable")
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    archive_path: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    status: Mapped[str] = mapped_column(String(16), default="received")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_rows: Mapped[int | None] = mapped_column(Integer, comment="set by validation")
    quarantined_rows: Mapped[int | None] = mapped_column(Integer, comment="set by validation")
    validated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    ingested_at: Mapped[datetime | None] = mapped_column(
        TZDateTime,
        default=now_wib,
        comment="when ingestion recorded the file (received_at: when it arrived)",
    )
    rejection_rule: Mapped[str | None] = mapped_column(
        String(40), comment="rule id of a whole-submission rejection, e.g. agency_mismatch"
    )
    reader: Mapped[str | None] = mapped_column(
        String(16), comment="template, xlsx, csv or json: which reader parsed the file"
    )
    file_modified_at: Mapped[datetime | None] = mapped_column(
        TZDateTime,
        comment="the file's own modification time, for information only (the sender sets it)",
    )
    receipt_stated_by: Mapped[str | None] = mapped_column(
        String(120),
        comment="who stated received_at for a file that came through another channel; "
        "null: the system observed the receipt",
    )

    agency: Mapped[Agency] = relationship()


class StagedRow(Base):
    """One data row of an ingested file, as read, waiting for validation (issue 5).

    Every data row of a staged file becomes exactly one staged row; ``parse_status`` records
    whether its realisasi was read (``ok``), could be read two ways (``ambiguous``) or not at
    all (``invalid``). Validation decides what enters ``realisation``.
    """

    __tablename__ = "staged_row"
    __table_args__ = (
        UniqueConstraint("submission_id", "source_row"),
        CheckConstraint(_in("parse_status", PARSE_STATUSES), name="parse_status"),
        CheckConstraint(f"state IS NULL OR {_in('state', REALISATION_STATES)}", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    source_file: Mapped[str] = mapped_column(String(255))
    source_row: Mapped[int] = mapped_column(
        Integer, comment="row as the agency sees it: Excel row, CSV line, JSON index + 1"
    )
    agency_code: Mapped[str] = mapped_column(String(40))
    indicator_code: Mapped[str] = mapped_column(
        String(120), comment="as written in the file (may be unknown)"
    )
    period: Mapped[str] = mapped_column(String(7))
    raw_value: Mapped[str | None] = mapped_column(Text, comment="the realisasi cell as found")
    value: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str | None] = mapped_column(
        String(20), comment="angka, belum_tersedia, tidak_dilaporkan; null when unreadable"
    )
    parse_status: Mapped[str] = mapped_column(String(16))
    parse_problem: Mapped[str | None] = mapped_column(
        Text, comment="why invalid/ambiguous (Indonesian)"
    )
    candidates: Mapped[list[float] | None] = mapped_column(
        JSON(none_as_null=True), comment="both readings of an ambiguous number"
    )
    unit: Mapped[str | None] = mapped_column(Text, comment="the unit as written, if any")
    evidence_url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    state_reason: Mapped[str | None] = mapped_column(
        Text, comment="the note, when the state is not a number"
    )
    hold_reason: Mapped[str | None] = mapped_column(
        Text,
        comment="why ingestion holds the row for the stewards (a field too long, a formula "
        "without a value, a broken quote, merged data cells), in Indonesian; null: not held",
    )


class InboxFile(Base):
    """A file ingestion took from the inbox: what it was (path, size, modification and change
    times, hash) and what became of it. Processed files leave the inbox; one that could not be
    removed is recognised by this record on the next scan instead of being read and hashed
    again (a new upload under the same name has another change time, so it is read)."""

    __tablename__ = "inbox_file"
    __table_args__ = (Index("ix_inbox_file_path", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), comment="relative to the inbox")
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    modified_ns: Mapped[int] = mapped_column(BigInteger, comment="st_mtime_ns when it was read")
    changed_ns: Mapped[int] = mapped_column(BigInteger, comment="st_ctime_ns when it was read")
    sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = mapped_column(TZDateTime)


class Realisation(Base):
    """An accepted value (or state with its reason) of one IKU for one month."""

    __tablename__ = "realisation"
    __table_args__ = (
        UniqueConstraint("submission_id", "indicator_id", "period"),
        CheckConstraint(_in("state", REALISATION_STATES), name="state"),
        CheckConstraint(
            "(state = 'angka' AND value IS NOT NULL) OR (state <> 'angka' AND value IS NULL)",
            name="value_matches_state",
        ),
        Index("ix_realisation_indicator_period", "indicator_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(20), default="angka")
    state_reason: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(Text)
    source_row: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    accepted_by: Mapped[str | None] = mapped_column(
        String(120), comment="null: accepted by validation; else the steward who overrode"
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)


class ValidationIssue(Base):
    """A row or submission that failed a check: the data stewards' queue."""

    __tablename__ = "validation_issue"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", ISSUE_STATUSES), name="status"),
        Index("ix_validation_issue_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    indicator_code: Mapped[str | None] = mapped_column(String(48))
    period: Mapped[str | None] = mapped_column(String(7))
    column_name: Mapped[str | None] = mapped_column(String(64))
    staged_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("staged_row.id", ondelete="SET NULL"), comment="null: a whole-submission issue"
    )
    suite: Mapped[str | None] = mapped_column(String(16), comment="struktur/nilai/kewajaran/...")
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    observed: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text, comment="in Bahasa Indonesia")
    status: Mapped[str] = mapped_column(String(16), default="open")
    steward: Mapped[str | None] = mapped_column(String(120))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)

    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="issue", order_by="ReviewDecision.id"
    )


class ReviewDecision(Base):
    """A steward's (or the system's) decision on an issue. Append-only: database triggers refuse
    UPDATE and DELETE, so no decision can be silently edited."""

    __tablename__ = "review_decision"
    __table_args__ = (CheckConstraint(_in("decision", DECISIONS), name="decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("validation_issue.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float, comment="the value a steward entered")
    decided_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)

    issue: Mapped[ValidationIssue] = relationship(back_populates="decisions")


class EvaluationCycle(Base):
    """The monthly evaluation of one period; rerunning the period reuses its row."""

    __tablename__ = "evaluation_cycle"
    __table_args__ = (CheckConstraint(_in("status", CYCLE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    rules_version: Mapped[str | None] = mapped_column(String(40))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class CycleSubmission(Base):
    """A submission a cycle run works on: the current versions of January..the cycle's period,
    frozen when the run starts validating. A resubmission arriving later waits for the next
    run (:mod:`iku.cycles`)."""

    __tablename__ = "cycle_submission"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_cycle.id", ondelete="CASCADE"), primary_key=True
    )
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(
        String(7), comment="the submission's period (the cycle reads January..its own period)"
    )


class Reminder(Base):
    """A reminder to an agency that has not submitted: at most one per agency, period and day
    (the unique key, not the sender's memory, stops a second one)."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("agency_id", "period", "sent_on"),
        CheckConstraint(_in("channel", DELIVERY_CHANNELS), name="channel"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    period: Mapped[str] = mapped_column(String(7))
    sent_on: Mapped[date] = mapped_column(Date, comment="the day in WIB")
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    recipients: Mapped[str] = mapped_column(Text)
    missing_iku: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)


class CycleLock(Base):
    """The lease of a period's running cycle, with its fencing token (``owner``). On SQLite it
    is the lock itself; on PostgreSQL the advisory lock keeps runs apart and this row tells a
    run's steps whether their run still holds the period (:mod:`iku.locks`)."""

    __tablename__ = "cycle_lock"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), comment="host:pid:token of the holder")
    acquired_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)


class Achievement(Base):
    """One computed result of a cycle: an IKU, an agency, a sector or the province.

    ``subject_key`` ("indicator:DINKES-01", "agency:DINKES", "sector:kesehatan", "province")
    makes the natural key unique without relying on how databases compare NULLs.
    """

    __tablename__ = "achievement"
    __table_args__ = (
        UniqueConstraint("cycle_id", "subject_key"),
        CheckConstraint(_in("level", ACHIEVEMENT_LEVELS), name="level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    level: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(80))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    sector: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("target.id", ondelete="SET NULL"))
    target_version: Mapped[int | None] = mapped_column(Integer)
    target_text: Mapped[str | None] = mapped_column(String(120))
    target_lower: Mapped[float | None] = mapped_column(Float)
    target_upper: Mapped[float | None] = mapped_column(Float)
    realisasi: Mapped[float | None] = mapped_column(Float)
    realisasi_state: Mapped[str | None] = mapped_column(String(20))
    capaian_raw: Mapped[float | None] = mapped_column(Float)
    capaian_scored: Mapped[float | None] = mapped_column(Float)
    predikat: Mapped[str | None] = mapped_column(String(8))
    ytd_realisasi: Mapped[float | None] = mapped_column(Float)
    ytd_target: Mapped[float | None] = mapped_column(Float)
    ytd_capaian: Mapped[float | None] = mapped_column(Float)
    trend_delta: Mapped[float | None] = mapped_column(Float, comment="vs the previous period")
    projection: Mapped[float | None] = mapped_column(Float, comment="projected year-end capaian")
    is_at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    n_included: Mapped[int | None] = mapped_column(Integer)
    n_missing: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    realisasi_period: Mapped[str | None] = mapped_column(
        String(7), comment="the month of the value the year to date uses (stale values show it)"
    )
    tercapai: Mapped[bool | None] = mapped_column(
        Boolean, comment="the month's realisasi met the target as written (null: cannot say)"
    )
    ytd_tercapai: Mapped[bool | None] = mapped_column(Boolean)
    ytd_months_reported: Mapped[int | None] = mapped_column(Integer)
    ytd_months_expected: Mapped[int | None] = mapped_column(Integer)
    ytd_complete: Mapped[bool | None] = mapped_column(
        Boolean, comment="enough due months reported (rules: year_to_date.min_completeness)"
    )
    year_end_capaian: Mapped[float | None] = mapped_column(
        Float, comment="a cumulative IKU's value against the year-end target"
    )
    in_aggregate: Mapped[bool | None] = mapped_column(
        Boolean, comment="an IKU counted in its agency, sector and province figures"
    )
    awaiting_verification: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="held out of the aggregates until a steward verifies it"
    )
    n_total: Mapped[int | None] = mapped_column(Integer, comment="IKU of an aggregate")
    n_held: Mapped[int | None] = mapped_column(Integer, comment="IKU awaiting verification")
    n_agencies: Mapped[int | None] = mapped_column(Integer, comment="agencies of the province")
    n_agencies_included: Mapped[int | None] = mapped_column(Integer)


class Bulletin(Base):
    """One issue of a rendered bulletin of a cycle (HTML and PDF) and when it was sent.

    A bulletin whose figures change after it was delivered is issued again as the next
    ``revision`` (:mod:`iku.bulletins.revisions`): the earlier one keeps its row and its files
    (moved to the period's ``arsip/`` folder), marked ``superseded_at``; deliveries belong to
    one revision each, so the log shows both.
    """

    __tablename__ = "bulletin"
    __table_args__ = (
        UniqueConstraint("cycle_id", "audience", "subject_key", "revision"),
        CheckConstraint(_in("audience", AUDIENCES), name="audience"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(80), comment="'province' or the agency code")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    html_path: Mapped[str | None] = mapped_column(String(500))
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    figures_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the figures it shows (a change means a new revision)"
    )
    figures: Mapped[dict[str, str] | None] = mapped_column(
        JSON, comment="the figures it shows, as printed (what changed is read from them)"
    )
    changes: Mapped[list[str] | None] = mapped_column(
        JSON, comment="what changed since the previous revision, as the bulletin says it"
    )
    superseded_at: Mapped[datetime | None] = mapped_column(
        TZDateTime, comment="when a later revision replaced it (null: the current one)"
    )
    inputs_sha256: Mapped[str | None] = mapped_column(
        String(64),
        comment="sha256 of its render inputs (context, templates, fonts, engine): the same "
        "inputs are not rendered again",
    )
    source_sha256: Mapped[str | None] = mapped_column(
        String(64),
        comment="sha256 of the read-model data its context was built from: the same data is "
        "not even built again",
    )
    html_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of its HTML file (sha256 is the PDF's when it has one)"
    )


#: A first (not resend) delivery of a bulletin to an address over a channel, at most once: the
#: database, not the sender's memory, stops a rerun from sending it again. A pending or unknown
#: delivery counts: it may have reached the recipient.
_SENT_ONCE = "status IN ('pending', 'sent', 'unknown') AND NOT is_resend"


class Delivery(Base):
    """One delivery of a bulletin to one recipient (after its retries): the delivery log."""

    __tablename__ = "delivery"
    __table_args__ = (
        CheckConstraint(_in("channel", DELIVERY_CHANNELS), name="channel"),
        CheckConstraint(_in("status", BULLETIN_DELIVERY_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index(
            "uq_delivery_sent_once",
            "bulletin_id",
            "email",
            "channel",
            unique=True,
            sqlite_where=text(_SENT_ONCE),
            postgresql_where=text(_SENT_ONCE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id", ondelete="CASCADE"))
    bulletin_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the file that was attached"
    )
    recipient_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(8), comment="eml: written to the outbox; smtp")
    status: Mapped[str] = mapped_column(String(8))
    is_resend: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    eml_path: Mapped[str | None] = mapped_column(String(500), comment="the .eml file (channel eml)")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    message_id: Mapped[str | None] = mapped_column(
        String(255), comment="the Message-ID recorded before sending"
    )


# --- The web application: accounts, sessions, tokens, sign-in failures, the audit log ----------

ROLES: Final = ("admin", "bureau", "steward", "agency", "agency_head", "leader")
TOKEN_KINDS: Final = ("access", "api")


class Account(Base):
    """A person (or another system) who signs in. Accounts are disabled, never deleted, and a
    username is never reused, so the username recorded in decisions and the audit log always
    names one account."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("language IS NULL OR language IN ('id', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(
        String(200), comment="argon2id; null: signs in only through OpenID Connect"
    )
    language: Mapped[str | None] = mapped_column(String(2), comment="null: the default (id)")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    disabled_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(TZDateTime)

    agencies: Mapped[list[AccountAgency]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )


class AccountAgency(Base):
    """An agency in an account's scope (agency and agency_head: exactly one; steward: any)."""

    __tablename__ = "account_agency"
    __table_args__ = (UniqueConstraint("account_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))

    account: Mapped[Account] = relationship(back_populates="agencies")
    agency: Mapped[Agency] = relationship()


class WebSession(Base):
    """A server-side browser session. The cookie holds a random value; only its sha256 is
    stored, so a copy of this table opens no session. ``account_id`` is null before sign-in
    (the sign-in form's CSRF token and an OpenID Connect state live in such a session)."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="sha256 of the cookie")
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    last_seen_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime, comment="absolute expiry", index=True)


class ApiToken(Base):
    """A bearer token, stored as its sha256: ``access`` from the password flow (short-lived),
    ``api`` issued by an admin for another system (long-lived, revocable)."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint(_in("kind", TOKEN_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime, comment="null: no expiry")
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class SignInFailure(Base):
    """A failed sign-in (never the password): the throttle counts these per username and per
    client address within the lock window."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_username_failed_at", "username", "failed_at"),
        Index("ix_sign_in_failure_client_address_failed_at", "client_address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    failed_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)


class AuditEvent(Base):
    """Who did what, when, from where: every action that changes data. Append-only: database
    triggers refuse UPDATE and DELETE, as for review decisions."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
    actor: Mapped[str] = mapped_column(String(64), comment="username, or 'sistem'")
    role: Mapped[str | None] = mapped_column(String(16))
    client_address: Mapped[str | None] = mapped_column(String(120), comment="ip, or cli:user@host")
    action: Mapped[str] = mapped_column(String(64), comment="e.g. review.decide, account.create")
    target: Mapped[str | None] = mapped_column(String(120), comment="e.g. validation_issue:12")
    agency_code: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


PERIOD_ACTIONS: Final = ("approve", "verify", "lock", "reopen", "publish")


class PeriodState(Base):
    """A period's lock and publication (:mod:`iku.periods`): a locked period's figures are
    frozen and it refuses submissions and decisions; a published one is on the public pages.
    No row: open, unpublished."""

    __tablename__ = "period_state"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    published_by: Mapped[str | None] = mapped_column(String(64))
    reopened_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    reopened_by: Mapped[str | None] = mapped_column(String(64))
    reopen_reason: Mapped[str | None] = mapped_column(Text)


class PeriodAgencyState(Base):
    """An agency's month: approved by its head, then verified by the bureau."""

    __tablename__ = "period_agency_state"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    approved_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(64))


class PeriodEvent(Base):
    """Every approval, verification, lock, reopening and publication: who, when (server
    time), which agency, why. Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "period_event"
    __table_args__ = (CheckConstraint(_in("action", PERIOD_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    action: Mapped[str] = mapped_column(String(16))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime, default=now_wib)
