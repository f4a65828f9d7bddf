"""The data-quality checks, as a table: rule id, suite, severity, the GX expectation, and how
to tell a steward (in Bahasa Indonesia) what was observed and what was expected.

Suites and what a failure does:
- ``struktur`` (blocking): judged per submission; the whole submission is rejected.
- ``nilai`` (error): the row is quarantined in the stewards' queue, not loaded.
- ``kewajaran`` and ``ketepatan`` (warning): the row (or submission) is accepted and flagged.

Row frame columns (one row per staged row) and submission frame columns (one row per
submission) are built by :mod:`quality.frame`; ``row_id`` identifies rows in both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from great_expectations import expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from iku import flags
from iku.formatting import angka
from iku.rules import Rules
from iku.settings import TIMEZONE
from iku.stats import modified_zscore
from quality.expectations import ExpectModifiedZScoreBelowThreshold

Suite = Literal["struktur", "nilai", "kewajaran", "ketepatan"]
Frame = Literal["rows", "submissions"]
SEVERITY_OF: Final[dict[str, str]] = {
    "struktur": "blocking",
    "nilai": "error",
    "kewajaran": "warning",
    "ketepatan": "warning",
}

#: Columns every row frame must have (checked by the structure suite).
ROW_COLUMNS: Final = (
    "row_id",
    "submission_id",
    "source_file",
    "source_row",
    "agency_code",
    "indicator_code",
    "period",
    "raw_value",
    "value",
    "state",
    "parse_status",
    "evidence_url",
    "state_reason",
)

Row = Mapping[str, Any]


def fmt(value: Any, digits: int = 2) -> str:
    """A number as stewards read it (``1.234,5``), or the text as given; missing is ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int | float):
        return angka(value, digits, min_digits=0)
    return str(value)


def _when(epoch: Any) -> str:
    moment = datetime.fromtimestamp(float(epoch), TIMEZONE)
    return moment.strftime("%d-%m-%Y %H.%M WIB")


def _zscore(row: Row) -> float:
    return float(modified_zscore(row["value"], row["hist_median"], row["hist_scale"]))


@dataclass(frozen=True)
class Check:
    """One rule: its expectation, and the words a steward reads when it fails."""

    rule: str
    suite: Suite
    frame: Frame
    column: str
    expectation: Callable[[Rules, Mapping[str, Any]], Expectation]
    observed: Callable[[Row], str]
    expected: Callable[[Row, Rules], str]
    message: Callable[[Row, Rules], str]
    #: Rules this more specific diagnosis replaces on the same row (one cause, one issue).
    supersedes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """What stewards read as the rule's name (:mod:`iku.flags`)."""
        return flags.label(self.rule)

    @property
    def severity(self) -> str:
        return SEVERITY_OF[self.suite]


def _known_keys(_: Rules, ctx: Mapping[str, Any]) -> Expectation:
    # Membership in the agency's active IKU is resolved by a join when the frame is built
    # (``is_known_indicator``); a value set of every AGENCY|CODE would make GX serialise tens of
    # thousands of strings per expectation at national scale.
    return gxe.ExpectColumnValuesToBeInSet(column="is_known_indicator", value_set=[True])


CHECKS: Final[tuple[Check, ...]] = (
    # --- struktur: per submission, blocking -----------------------------------------------
    Check(
        rule="empty_submission",
        suite="struktur",
        frame="submissions",
        column="n_rows",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeBetween(column="n_rows", min_value=1),
        observed=lambda row: f"{row['n_rows']} baris",
        expected=lambda row, r: "minimal 1 baris data",
        message=lambda row, r: (
            "Berkas tidak memuat satu pun baris data IKU. Isi template lalu kirim ulang."
        ),
    ),
    Check(
        rule="agency_mismatch",
        suite="struktur",
        frame="submissions",
        column="agency_code",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeInSet(
            column="agency_matches", value_set=[True]
        ),
        observed=lambda row: str(row["file_agencies"]),
        expected=lambda row, r: str(row["folder_agency"]),
        message=lambda row, r: (
            f"Berkas memuat kode perangkat daerah {row['file_agencies']}, padahal dikirim dari "
            f"folder {row['folder_agency']}. Kirim ulang berkas milik {row['folder_agency']} saja."
        ),
    ),
    Check(
        rule="multiple_periods",
        suite="struktur",
        frame="submissions",
        column="period",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeBetween(
            column="n_periods", min_value=1, max_value=1
        ),
        observed=lambda row: str(row["file_periods"]),
        expected=lambda row, r: "tepat satu periode per berkas",
        message=lambda row, r: (
            f"Berkas memuat periode {row['file_periods']}. Kirim satu berkas per bulan."
        ),
    ),
    # --- nilai: per row, quarantined -------------------------------------------------------
    Check(
        rule="read_problem",
        suite="nilai",
        # The reader's diagnosis is the cause: the code or value it could not keep or read
        # would only repeat it as an unknown IKU or a non-number.
        supersedes=("unknown_indicator", "not_a_number"),
        frame="rows",
        column="baris",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeNull(column="hold_reason"),
        observed=lambda row: str(row["hold_reason"]),
        expected=lambda row, r: "baris yang terbaca utuh dan pasti",
        message=lambda row, r: (
            f"Baris {row['source_row']} ditahan saat berkas dibaca: {row['hold_reason']}. "
            "Minta perangkat daerah memperbaiki dan mengirim ulang berkas, atau putuskan "
            "nilainya di antrean ini."
        ),
    ),
    Check(
        rule="unknown_indicator",
        suite="nilai",
        frame="rows",
        column="indicator_code",
        expectation=_known_keys,
        observed=lambda row: str(row["indicator_code"]),
        expected=lambda row, r: f"kode IKU aktif milik {row['folder_agency']}",
        message=lambda row, r: (
            f"Kode IKU '{row['indicator_code']}' tidak terdaftar untuk {row['folder_agency']}. "
            "Gunakan kode dari template terbaru (iku template)."
        ),
    ),
    Check(
        rule="not_a_number",
        suite="nilai",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnValuesToNotBeInSet(
            column="parse_status", value_set=["invalid"]
        ),
        observed=lambda row: str(row["raw_value"]),
        expected=lambda row, r: "angka (mis. 85,24) atau 'belum tersedia' / 'tidak dilaporkan'",
        message=lambda row, r: (
            f"Nilai realisasi '{row['raw_value']}' bukan angka. Tulis angka dengan koma desimal "
            "(mis. 85,24), atau pilih status 'belum tersedia' / 'tidak dilaporkan'."
        ),
    ),
    Check(
        rule="ambiguous_number",
        suite="nilai",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnValuesToNotBeInSet(
            column="parse_status", value_set=["ambiguous"]
        ),
        observed=lambda row: str(row["raw_value"]),
        expected=lambda row, r: "angka yang hanya dapat dibaca satu cara",
        message=lambda row, r: (
            f"Nilai '{row['raw_value']}' dapat dibaca sebagai "
            f"{' atau '.join(fmt(v, 3) for v in (row['candidates'] or []))}. "
            "Tulis ulang dengan koma desimal dan titik ribuan (mis. 97,35 atau 1.234)."
        ),
    ),
    Check(
        rule="state_without_reason",
        suite="nilai",
        frame="rows",
        column="keterangan",
        expectation=lambda r, c: gxe.ExpectColumnValuesToNotBeNull(
            column="state_reason",
            row_condition=Column("state").is_in(["belum_tersedia", "tidak_dilaporkan"]),
        ),
        observed=lambda row: f"status '{str(row['state']).replace('_', ' ')}', keterangan kosong",
        expected=lambda row, r: "alasan di kolom keterangan",
        message=lambda row, r: (
            f"Status '{str(row['state']).replace('_', ' ')}' harus disertai alasan di kolom "
            "keterangan (mis. 'data BPS rilis Desember')."
        ),
    ),
    Check(
        rule="duplicate_row",
        suite="nilai",
        frame="rows",
        column="kode_iku",
        expectation=lambda r, c: gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["submission_id", "indicator_code", "period"]
        ),
        observed=lambda row: f"{row['indicator_code']} {row['period']} lebih dari sekali",
        expected=lambda row, r: "satu nilai per IKU per periode",
        message=lambda row, r: (
            f"IKU {row['indicator_code']} untuk periode {row['period']} muncul lebih dari sekali "
            "dalam berkas. Hapus baris ganda dan kirim ulang."
        ),
    ),
    Check(
        rule="below_minimum",
        suite="nilai",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value",
            column_B="min_value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        observed=lambda row: fmt(row["value"]),
        expected=lambda row, r: f">= {fmt(row['min_value'])} {row['unit']}",
        message=lambda row, r: (
            f"Nilai {fmt(row['value'])} di bawah batas terendah yang mungkin untuk IKU ini "
            f"({fmt(row['min_value'])} {row['unit']}). Periksa satuan dan tanda minus."
        ),
    ),
    Check(
        rule="above_maximum",
        suite="nilai",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_value",
            column_B="value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        observed=lambda row: fmt(row["value"]),
        expected=lambda row, r: f"<= {fmt(row['max_value'])} {row['unit']}",
        message=lambda row, r: (
            f"Nilai {fmt(row['value'])} di atas batas tertinggi yang mungkin untuk IKU ini "
            f"({fmt(row['max_value'])} {row['unit']}). Periksa satuan dan pemisah desimal."
        ),
    ),
    # --- kewajaran: per row, accepted and flagged -------------------------------------------
    Check(
        rule="outlier_zscore",
        suite="kewajaran",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: ExpectModifiedZScoreBelowThreshold(
            column_list=["value", "hist_median", "hist_scale"],
            threshold=r.plausibility.modified_zscore_threshold,
        ),
        observed=lambda row: fmt(row["value"]),
        expected=lambda row, r: (
            f"sekitar {fmt(row['hist_median'])} (median {int(row['hist_n'])} bulan sebelumnya)"
        ),
        message=lambda row, r: (
            f"Nilai {fmt(row['value'])} jauh dari riwayatnya (median {fmt(row['hist_median'])}; "
            f"skor-z termodifikasi {fmt(_zscore(row))} > "
            f"{fmt(r.plausibility.modified_zscore_threshold)}). "
            "Mohon verifikasi ke perangkat daerah."
        ),
    ),
    Check(
        rule="capaian_over_150",
        suite="kewajaran",
        supersedes=("outlier_zscore",),
        frame="rows",
        column="capaian",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeBetween(
            column="capaian_pct", max_value=r.plausibility.capaian_verification_above
        ),
        observed=lambda row: f"{fmt(row['capaian_pct'])}%",
        expected=lambda row, r: f"<= {fmt(r.plausibility.capaian_verification_above)}%",
        message=lambda row, r: (
            f"Capaian {fmt(row['capaian_pct'])}% (realisasi {fmt(row['value'])} terhadap target "
            f"{row['target_text']}) melebihi {fmt(r.plausibility.capaian_verification_above)}%. "
            "Mohon verifikasi realisasi dan bukti dukungnya."
        ),
    ),
    Check(
        rule="percent_as_fraction",
        suite="kewajaran",
        supersedes=("outlier_zscore", "cumulative_decrease", "capaian_over_150"),
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=1,
            row_condition=(Column("is_percent") == True)  # noqa: E712 (a GX condition)
            & (Column("hist_median") > 1)
            & (Column("value") > 0),
        ),
        observed=lambda row: fmt(row["value"], 4),
        expected=lambda row, r: f"persen, sekitar {fmt(row['hist_median'])}",
        message=lambda row, r: (
            f"Nilai {fmt(row['value'], 4)} tampak ditulis sebagai pecahan, sedangkan riwayatnya "
            f"sekitar {fmt(row['hist_median'])}%. Apakah maksudnya {fmt(row['value'] * 100)}%?"
        ),
    ),
    Check(
        rule="cumulative_decrease",
        suite="kewajaran",
        frame="rows",
        column="realisasi",
        expectation=lambda r, c: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value",
            column_B="prev_value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        observed=lambda row: fmt(row["value"]),
        expected=lambda row, r: f">= {fmt(row['prev_value'])} (bulan sebelumnya)",
        message=lambda row, r: (
            f"IKU ini kumulatif, tetapi nilainya turun dari {fmt(row['prev_value'])} menjadi "
            f"{fmt(row['value'])}. Mohon verifikasi."
        ),
    ),
    Check(
        rule="missing_evidence",
        suite="kewajaran",
        frame="rows",
        column="bukti_dukung",
        expectation=lambda r, c: gxe.ExpectColumnValuesToNotBeNull(
            column="evidence_url",
            row_condition=(Column("evidence_required") == True)  # noqa: E712 (a GX condition)
            & (Column("state") == "angka"),
        ),
        observed=lambda row: "kosong",
        expected=lambda row, r: "tautan bukti dukung",
        message=lambda row, r: (
            f"IKU {row['indicator_code']} wajib disertai bukti dukung, tetapi tautannya kosong. "
            "Lengkapi tautan bukti dukung."
        ),
    ),
    Check(
        rule="identical_to_other_agency",
        suite="kewajaran",
        frame="submissions",
        column="berkas",
        expectation=lambda r, c: gxe.ExpectColumnValuesToBeNull(column="identical_to"),
        observed=lambda row: f"isi sama persis dengan kiriman {row['identical_to']}",
        expected=lambda row, r: f"berkas milik {row['folder_agency']} sendiri",
        message=lambda row, r: (
            f"Isi berkas ini sama persis (sidik SHA-256) dengan kiriman {row['identical_to']}. "
            f"Pastikan berkas memang laporan {row['folder_agency']}, bukan salinan berkas "
            "perangkat daerah lain."
        ),
    ),
    # --- ketepatan: per submission, accepted and flagged -------------------------------------
    Check(
        rule="late_submission",
        suite="ketepatan",
        frame="submissions",
        column="received_at",
        expectation=lambda r, c: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="deadline_epoch", column_B="received_epoch", or_equal=True
        ),
        observed=lambda row: _when(row["received_epoch"]),
        expected=lambda row, r: f"paling lambat {_when(row['deadline_epoch'])}",
        message=lambda row, r: (
            f"Berkas diterima {_when(row['received_epoch'])}, melewati batas "
            f"{_when(row['deadline_epoch'])}. Data tetap diproses dan ditandai terlambat."
        ),
    ),
)

CHECKS_BY_RULE: Final[dict[str, Check]] = {c.rule: c for c in CHECKS}
