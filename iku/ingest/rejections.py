"""Whole-submission rejections: rule ids, reasons and what the agency should do (Indonesian)."""

from __future__ import annotations

from typing import Final

FILE_EMPTY: Final = "file_empty"
FILE_UNREADABLE: Final = "file_unreadable"
FILE_TOO_LARGE: Final = "file_too_large"
FILE_TOO_COMPLEX: Final = "file_too_complex"
TOO_MANY_ROWS: Final = "too_many_rows"
MISSING_COLUMNS: Final = "missing_columns"
AGENCY_MISMATCH: Final = "agency_mismatch"
MULTIPLE_PERIODS: Final = "multiple_periods"
INVALID_PERIOD: Final = "invalid_period"
PERIOD_OUTSIDE_WINDOW: Final = "period_outside_window"
PERIOD_LOCKED: Final = "period_locked"
UNSAFE_FILE_NAME: Final = "unsafe_file_name"
UNKNOWN_AGENCY: Final = "unknown_agency"
UNSUPPORTED_FORMAT: Final = "unsupported_format"

#: What the agency should do, per rule (the notice's "Yang perlu dilakukan").
ACTIONS: Final[dict[str, str]] = {
    FILE_EMPTY: "Isi formulir realisasi IKU lalu kirim ulang berkasnya.",
    FILE_UNREADABLE: (
        "Buka berkas di Excel atau LibreOffice, simpan ulang sebagai .xlsx (atau CSV UTF-8), "
        "lalu kirim ulang. Sebaiknya gunakan templat dari `iku template`."
    ),
    FILE_TOO_LARGE: (
        "Kirim hanya lembar realisasi IKU (tanpa lampiran, gambar atau data mentah), "
        "atau bagi berkas per periode."
    ),
    FILE_TOO_COMPLEX: (
        "Simpan hanya lembar realisasi IKU ke buku kerja baru (tanpa sel gabungan besar, "
        "format di seluruh lembar, atau isian jauh di luar tabel), atau gunakan templat resmi, "
        "lalu kirim ulang."
    ),
    TOO_MANY_ROWS: "Kirim satu baris per IKU per periode; hapus baris data mentah dan rekap.",
    MISSING_COLUMNS: (
        "Gunakan templat resmi, atau pastikan ada kolom 'Kode IKU' dan 'Realisasi' serta "
        "periode laporan (kolom 'Periode' atau isian 'Periode' di atas tabel)."
    ),
    AGENCY_MISMATCH: (
        "Kirim berkas ke folder perangkat daerah yang benar, atau perbaiki kode OPD di dalam "
        "berkas agar sama dengan folder pengiriman."
    ),
    MULTIPLE_PERIODS: "Kirim satu berkas untuk setiap periode (satu bulan per berkas).",
    INVALID_PERIOD: "Tulis periode sebagai 2026-10, 10/2026 atau Oktober 2026.",
    PERIOD_OUTSIDE_WINDOW: (
        "Periksa periode laporan. Realisasi hanya dapat dikirim setelah bulannya berakhir dan "
        "selama masa pengiriman masih terbuka; hubungi Biro Organisasi bila perlu koreksi "
        "periode yang sudah ditutup."
    ),
    PERIOD_LOCKED: (
        "Periode ini sudah dikunci oleh Biro Organisasi karena buletinnya sudah final. Bila "
        "data perlu dikoreksi, minta Biro Organisasi membuka kembali periode tersebut "
        "(dengan alasan), lalu kirim ulang berkas."
    ),
    UNSAFE_FILE_NAME: (
        "Ganti nama berkas dengan huruf, angka, spasi, titik, tanda hubung atau garis bawah "
        "saja (tanpa '../', '\\' atau karakter kendali), lalu kirim ulang."
    ),
    UNKNOWN_AGENCY: (
        "Letakkan berkas di folder inbox/<KODE_OPD>/ milik perangkat daerah pengirim, "
        "atau sebutkan kode OPD (iku ingest --agency KODE)."
    ),
    UNSUPPORTED_FORMAT: "Kirim berkas dalam format .xlsx, .csv (UTF-8) atau .json.",
}

#: A short title per rule, for tables and notices.
TITLES: Final[dict[str, str]] = {
    FILE_EMPTY: "berkas kosong",
    FILE_UNREADABLE: "berkas tidak dapat dibaca",
    FILE_TOO_LARGE: "berkas terlalu besar",
    FILE_TOO_COMPLEX: "berkas terlalu berat untuk dibaca",
    TOO_MANY_ROWS: "baris data terlalu banyak",
    MISSING_COLUMNS: "kolom wajib tidak ada",
    AGENCY_MISMATCH: "kode OPD tidak sesuai",
    MULTIPLE_PERIODS: "lebih dari satu periode",
    INVALID_PERIOD: "periode tidak dapat dibaca",
    PERIOD_OUTSIDE_WINDOW: "periode di luar masa pengiriman",
    PERIOD_LOCKED: "periode sudah dikunci",
    UNSAFE_FILE_NAME: "nama berkas tidak aman",
    UNKNOWN_AGENCY: "perangkat daerah tidak dikenal",
    UNSUPPORTED_FORMAT: "format berkas tidak didukung",
}

RULES: Final = tuple(ACTIONS)


class Rejected(Exception):
    """A whole submission is rejected; ``reason`` is one or two sentences in Indonesian."""

    def __init__(self, rule: str, reason: str) -> None:
        if rule not in ACTIONS:
            raise ValueError(f"unknown rejection rule {rule!r}")
        self.rule = rule
        self.reason = reason
        super().__init__(f"{rule}: {reason}")

    @property
    def action(self) -> str:
        return ACTIONS[self.rule]
