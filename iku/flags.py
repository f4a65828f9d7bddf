"""The flag table: every code a figure or a row can carry, with its Indonesian label and severity.

Two kinds of codes live here, once each:

- the engine's flags on an ``achievement`` row of an IKU (``missing``, ``prorated_target``, ...);
- the data-quality rules of validation (``outlier_zscore``, ``late_submission``, ...): a
  warning rule's code is also a flag on the accepted ``realisation``.

Codes are English (they are stored and exported); people read the label. Severity:
``info`` (explains a figure), ``warning`` (a reader should look), ``error`` (the row was held
for review), ``blocking`` (the whole file was rejected).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from iku.i18n import N_, _

Severity = Literal["info", "warning", "error", "blocking"]


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    severity: Severity


#: Flags of an IKU's achievement row, in the engine's order.
ENGINE_FLAGS: Final[tuple[Flag, ...]] = (
    Flag("missing", "tidak dilaporkan", "warning"),
    Flag("not_expected", "tidak dijadwalkan bulan ini", "info"),
    Flag("off_schedule", "dilaporkan di luar jadwal", "warning"),
    Flag("no_target", "tanpa target", "warning"),
    Flag("not_computable", "tidak dapat dihitung", "warning"),
    Flag("inside_range", "di dalam rentang target", "info"),
    Flag("prorated_target", "target diprorata", "info"),
    Flag("negative_raw", "capaian mentah negatif", "info"),
    Flag("floored", "dibatasi batas bawah skor", "info"),
    Flag("capped", "dibatasi batas atas skor", "info"),
    Flag("needs_verification", "perlu verifikasi", "warning"),
    Flag("ytd_incomplete", "s.d. bulan ini belum lengkap", "warning"),
    Flag("overdue", "angka terakhir lewat jadwal", "warning"),
    Flag("awaiting_verification", "menunggu verifikasi", "warning"),
    Flag("capped_in_aggregate", "dihitung sebatas batas agregasi", "info"),
    Flag("target_to_date", "dibandingkan target s.d. bulan ini", "info"),
)

#: The data-quality rules of validation (quality.checks), with the title stewards read.
RULE_FLAGS: Final[tuple[Flag, ...]] = (
    Flag("empty_submission", "Berkas tanpa baris data", "blocking"),
    Flag("agency_mismatch", "Kode perangkat daerah tidak sesuai", "blocking"),
    Flag("multiple_periods", "Lebih dari satu periode", "blocking"),
    Flag("read_problem", "Baris ditahan saat pembacaan", "error"),
    Flag("unknown_indicator", "Kode IKU tidak dikenal", "error"),
    Flag("not_a_number", "Realisasi bukan angka", "error"),
    Flag("ambiguous_number", "Angka dapat dibaca dua cara", "error"),
    Flag("state_without_reason", "Status tanpa alasan", "error"),
    Flag("duplicate_row", "IKU dilaporkan ganda", "error"),
    Flag("below_minimum", "Nilai di bawah batas", "error"),
    Flag("above_maximum", "Nilai di atas batas", "error"),
    Flag("outlier_zscore", "Nilai menyimpang dari riwayat", "warning"),
    Flag("capaian_over_150", "Capaian di atas batas verifikasi", "warning"),
    Flag("percent_as_fraction", "Persen ditulis sebagai pecahan", "warning"),
    Flag("cumulative_decrease", "Nilai kumulatif menurun", "warning"),
    Flag("missing_evidence", "Bukti dukung kosong", "warning"),
    Flag("late_submission", "Pengiriman terlambat", "warning"),
    Flag(
        "identical_to_other_agency",
        "Berkas sama dengan kiriman perangkat daerah lain",
        "warning",
    ),
)

ENGINE_FLAG_CODES: Final[tuple[str, ...]] = tuple(f.code for f in ENGINE_FLAGS)
BY_CODE: Final[dict[str, Flag]] = {f.code: f for f in (*ENGINE_FLAGS, *RULE_FLAGS)}
#: How people read a severity (stewards, agencies and leaders alike).
SEVERITY_LABELS: Final[dict[str, str]] = {
    "info": "Keterangan",
    "warning": "Peringatan",
    "error": "Ditahan",
    "blocking": "Ditolak",
}

#: The rules' titles and the severities in the reader's language, for what speaks it (the CLI;
#: the web's validation titles are these same msgids). The English msgids translate, in the
#: ``id`` catalog, to the Indonesian labels above (tests/unit/test_flags.py holds them equal),
#: which the bulletins and the review page print whatever the language.
RULE_TITLES: Final[dict[str, str]] = {
    "empty_submission": N_("File without data rows"),
    "agency_mismatch": N_("Agency code does not match"),
    "multiple_periods": N_("More than one period"),
    "read_problem": N_("Row held while reading"),
    "unknown_indicator": N_("Unknown IKU code"),
    "not_a_number": N_("Realisasi is not a number"),
    "ambiguous_number": N_("Number can be read two ways"),
    "state_without_reason": N_("Status without a reason"),
    "duplicate_row": N_("IKU reported twice"),
    "below_minimum": N_("Value below the bound"),
    "above_maximum": N_("Value above the bound"),
    "outlier_zscore": N_("Value departs from its history"),
    "capaian_over_150": N_("Capaian above the verification bound"),
    "percent_as_fraction": N_("Percent written as a fraction"),
    "cumulative_decrease": N_("Cumulative value decreased"),
    "missing_evidence": N_("Supporting evidence missing"),
    "late_submission": N_("Late submission"),
    "identical_to_other_agency": N_("File identical to another agency's submission"),
}
SEVERITY_TITLES: Final[dict[str, str]] = {
    "info": N_("Information"),
    "warning": N_("Warning"),
    "error": N_("Held"),
    "blocking": N_("Rejected"),
}


def flag(code: str) -> Flag:
    """The flag of a code; :class:`KeyError` for a code nobody defined."""
    return BY_CODE[code]


def label(code: str) -> str:
    """The Indonesian label of a code (an unknown code reads as its words, never as a code)."""
    known = BY_CODE.get(code)
    return known.label if known is not None else code.replace("_", " ")


def rule_title(code: str) -> str:
    """A validation rule's title in the current language (:mod:`iku.i18n`); any other code
    reads as its Indonesian label."""
    title = RULE_TITLES.get(code)
    return _(title) if title else label(code)


def severity_title(severity: str) -> str:
    """A severity in the current language (the code itself when unknown)."""
    title = SEVERITY_TITLES.get(severity)
    return _(title) if title else severity
