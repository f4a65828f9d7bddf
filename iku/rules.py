"""The versioned rules file: every policy the evaluation applies, validated on load.

Policies are data (``data/rules.yaml``); Python never hard-codes them. An unknown key, a missing
key or a band table with a gap or an overlap is a :class:`RulesError` naming the key.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from iku.i18n import _

NegativeFormula = Literal["2T-R", "T/R"]


class RulesError(ValueError):
    """The rules file is missing, unreadable or invalid."""


_T = TypeVar("_T")


def per_rules(function: Callable[[Rules], _T]) -> Callable[[Rules], _T]:
    """Cache ``function(rules)`` per rules object, by identity: a rules model is frozen, and
    hashing it (what ``functools.lru_cache`` does) walks the whole file, which costs more than
    many of the functions cached, called once per bulletin. Keeps the last 8 rules objects."""
    cache: dict[int, tuple[Rules, _T]] = {}

    @functools.wraps(function)
    def cached(rules: Rules) -> _T:
        hit = cache.get(id(rules))
        if hit is not None and hit[0] is rules:
            return hit[1]
        value = function(rules)
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[id(rules)] = (rules, value)  # the reference keeps the id from being reused
        return value

    return cached


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapaianRules(_Strict):
    negative_formula: NegativeFormula = Field(
        description="Default formula for negative polarity; indicators may override it."
    )
    range_inside_value: float = Field(description="Capaian when realisasi lies inside a range.")
    zero_target_zero_realisasi: float = Field(description="Capaian when T = 0 and R = 0.")


class ScoringRules(_Strict):
    floor: float | None = Field(description="Scored capaian never below this (null: no floor).")
    cap: float | None = Field(description="Scored capaian never above this (null: no cap).")

    @model_validator(mode="after")
    def _floor_below_cap(self) -> ScoringRules:
        if self.floor is not None and self.cap is not None and self.floor >= self.cap:
            raise ValueError("floor harus lebih kecil dari cap")
        return self


class Band(_Strict):
    code: str = Field(min_length=1, max_length=8)
    label: str = Field(min_length=1)
    lower: float | None = Field(description="Inclusive lower bound; null for the lowest band.")
    upper: float | None = Field(description="Exclusive upper bound; null for the highest band.")
    color: str

    @field_validator("color")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"color must be #RRGGBB, got {value!r}")
        return value


class PredikatRules(_Strict):
    scale_name: str
    bands: tuple[Band, ...] = Field(min_length=2)

    @field_validator("bands")
    @classmethod
    def _contiguous(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        ordered = sorted(bands, key=lambda b: float("-inf") if b.lower is None else b.lower)
        codes = [b.code for b in ordered]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate band code in {codes}")
        if ordered[0].lower is not None:
            raise ValueError(f"the lowest band ({ordered[0].code}) must have lower: null")
        if ordered[-1].upper is not None:
            raise ValueError(f"the highest band ({ordered[-1].code}) must have upper: null")
        for below, above in itertools.pairwise(ordered):
            if below.upper is None or above.lower is None:
                raise ValueError(f"bands {below.code} and {above.code} overlap")
            if below.upper != above.lower:
                kind = "gap" if below.upper < above.lower else "overlap"
                raise ValueError(
                    f"{kind} between band {below.code} (upper {below.upper}) "
                    f"and band {above.code} (lower {above.lower})"
                )
            if below.lower is not None and below.lower >= below.upper:
                raise ValueError(f"band {below.code}: lower must be below upper")
        return tuple(ordered)

    def band(self, code: str) -> Band:
        for band in self.bands:
            if band.code == code:
                return band
        raise KeyError(code)


class AggregationRules(_Strict):
    agency_method: Literal["mean", "weighted"]
    sector_method: Literal["mean", "weighted"]
    province_method: Literal["mean", "weighted"]
    cap: float | None = Field(
        gt=0,
        description="An IKU's scored capaian counts at most this much in agency, sector and "
        "province figures (null: no cap); its own capaian is kept and shown unchanged.",
    )
    hold_until_verified: tuple[str, ...] = Field(
        description="Data-quality rules whose flagged values stay out of the agency, sector "
        "and province figures until a steward verifies them in the review queue.",
    )


class YearToDateRules(_Strict):
    min_completeness: float = Field(
        gt=0,
        le=1,
        description="Below this share of the due months reported, a year to date is marked "
        "incomplete.",
    )
    cumulative_target: Literal["to_date", "annual"] = Field(
        description="Cumulative IKU against the target line to date, or the year-end target."
    )


class AttentionRules(_Strict):
    low_below_band: str = Field(
        description="'Perlu tindakan' lists IKU and agencies whose year to date is below this "
        "band's lower bound."
    )
    stale_issue_days: int = Field(
        ge=0, le=365, description="Open data issues older than this are listed for action."
    )


class Scale(_Strict):
    """An ordinal target scale (a BPK opinion, an accreditation, a SAKIP grade): each grade's
    score, the capaian computed on the scores. Written in the rules file as a mapping of grade
    to score; kept as pairs, highest score first (the rules stay hashable)."""

    code: str
    label: str
    grades: tuple[tuple[str, float], ...] = Field(min_length=2)

    @field_validator("grades", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if isinstance(value, dict):
            return tuple(sorted(value.items(), key=lambda pair: -float(pair[1])))
        return value

    @field_validator("grades")
    @classmethod
    def _distinct(cls, grades: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        names = [name.casefold() for name, _ in grades]
        if len(set(names)) != len(names):
            raise ValueError("a grade is named twice")
        if len({score for _, score in grades}) != len(grades):
            raise ValueError("two grades have the same score")
        if any(score <= 0 for _, score in grades):
            raise ValueError("grade scores must be above 0")
        return grades

    def score(self, grade: str) -> float | None:
        """The score of a grade as written (case and surrounding spaces do not matter)."""
        wanted = grade.strip().casefold()
        for name, score in self.grades:
            if name.casefold() == wanted:
                return score
        return None

    def grade(self, score: float) -> str | None:
        """The grade of a score, if one has exactly that score."""
        for name, value in self.grades:
            if value == score:
                return name
        return None

    @property
    def names(self) -> str:
        """The grades, best first: ``WTP, WDP, TW, TMP``."""
        return ", ".join(name for name, _ in self.grades)


class ProjectionRules(_Strict):
    at_risk_below_band: str = Field(
        description="Projected year-end capaian below this band's lower bound is 'at risk'."
    )
    min_months: int = Field(ge=1, le=12)


class SubmissionRules(_Strict):
    deadline_day: int = Field(ge=1, le=28, description="Day of the next month, 23:59 WIB.")
    evaluation_day: int = Field(ge=1, le=28, description="Day of the month the cycle runs.")
    open_months: int = Field(ge=1, le=24, description="How many past periods accept submissions.")
    reminder_days_before_deadline: int = Field(ge=0, le=27)


class PlausibilityRules(_Strict):
    modified_zscore_threshold: float = Field(gt=0)
    min_history: int = Field(ge=2)
    capaian_verification_above: float = Field(gt=0)
    min_relative_spread: float = Field(
        ge=0,
        lt=1,
        description="The series' robust scale is at least this fraction of its median.",
    )
    history_months: int = Field(ge=2, le=60, description="Months of history for the z-score.")


class IngestRules(_Strict):
    max_file_bytes: int = Field(gt=0)
    max_rows: int = Field(gt=0)
    max_unpacked_bytes: int = Field(
        default=52428800, gt=0, description="A workbook that unzips to more is refused."
    )
    max_zip_entries: int = Field(gt=0, description="A workbook with more zip parts is refused.")
    max_cells: int = Field(
        gt=0,
        description="A workbook with more non-empty cells is refused; a sheet whose used area "
        "is larger is read by the streaming reader only.",
    )
    max_number_digits: int = Field(
        ge=16, le=4000, description="A JSON integer with more digits refuses the file."
    )
    max_text_chars: int = Field(
        ge=100,
        le=1_000_000,
        description="Longer free text (note, unit, realisasi cell) is shortened, its row held.",
    )
    max_read_seconds: float = Field(
        gt=0, le=600, description="Wall and CPU time for reading one file."
    )
    max_read_memory_bytes: int = Field(
        ge=16 * 1024 * 1024,
        description="Address space one file's reading may add to the reader process.",
    )


class BulletinRules(_Strict):
    max_note_chars: int = Field(
        default=2000,
        ge=100,
        le=100_000,
        description=(
            "Longest free text (an agency's note, an issue's value) a PDF bulletin prints; "
            "longer text is cut and says so (the full text stays in the system)."
        ),
    )
    issuer: str = Field(
        default="Pemerintah Provinsi Lampung",
        min_length=1,
        max_length=120,
        description="Who issues the bulletins: the PDF's author metadata and the HTML's.",
    )
    province_max_agencies: int = Field(
        default=1000,
        ge=2,
        le=1_000_000,
        description=(
            "Most agencies the province bulletin lists in its ranking and in its data-quality "
            "annex; with more, the ranking shows the top and bottom halves and one row saying "
            "how many are not listed and where the full list is (the dashboard, the open-data "
            "export), the annex the agencies with the most open issues and the count of the "
            "others."
        ),
    )


class ApprovalRules(_Strict):
    unapproved_in_province: Literal["marked", "withheld"] = Field(
        default="marked",
        description="An agency whose month its head has not approved: 'marked' (its figures "
        "enter the sector and province figures, marked as not approved) or 'withheld' (left "
        "out of the sector and province figures until approved; the bulletins say so).",
    )


class Rules(_Strict):
    """The whole rules file."""

    version: str = Field(min_length=1)
    description: str = ""
    capaian: CapaianRules
    scoring: ScoringRules
    predikat: PredikatRules
    aggregation: AggregationRules
    projection: ProjectionRules
    submission: SubmissionRules
    plausibility: PlausibilityRules
    ingest: IngestRules
    year_to_date: YearToDateRules
    attention: AttentionRules
    scales: tuple[Scale, ...] = ()

    @field_validator("scales", mode="before")
    @classmethod
    def _scale_codes(cls, value: object) -> object:
        if isinstance(value, dict):
            return tuple({"code": code, **dict(body)} for code, body in value.items())
        return value

    def scale(self, code: str) -> Scale:
        """The ordinal scale of a code (``KeyError`` for a code the rules file lacks)."""
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise KeyError(code)

    # A default, so a rules file written before the section existed still loads.
    bulletin: BulletinRules = Field(default_factory=BulletinRules)
    approval: ApprovalRules = Field(default_factory=ApprovalRules)

    @model_validator(mode="after")
    def _known_band(self) -> Rules:
        codes = [b.code for b in self.predikat.bands]
        for key, wanted in (
            ("projection.at_risk_below_band", self.projection.at_risk_below_band),
            ("attention.low_below_band", self.attention.low_below_band),
        ):
            if wanted not in codes:
                raise ValueError(f"{key}: unknown band {wanted!r} (bands: {', '.join(codes)})")
        from iku.flags import BY_CODE

        unknown = [c for c in self.aggregation.hold_until_verified if c not in BY_CODE]
        if unknown:
            raise ValueError(f"aggregation.hold_until_verified: unknown rule(s) {unknown}")
        return self


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {where}: {message}")
    return "\n".join(lines)


def parse_rules(data: object, source: str = "rules") -> Rules:
    """Validate already-loaded rules data."""
    if not isinstance(data, dict):
        raise RulesError(_("%(source)s must hold keys and values", source=source))
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError(_describe(exc, source)) from None


def load_rules(path: Path) -> Rules:
    """Read and validate a rules file; raise :class:`RulesError` with every problem found."""
    if not path.is_file():
        raise RulesError(
            _(
                "the file %(path)s does not exist (set IKU_RULES_FILE or run from the project "
                "folder)",
                path=path,
            )
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(_("%(path)s is not valid YAML: %(error)s", path=path, error=exc)) from None
    return parse_rules(data, str(path))
