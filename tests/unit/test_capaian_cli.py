"""``iku capaian``: every target form of domain.md, bad rows explained, pure CSV out, numbers in
the file's own convention (comma decimals in a semicolon file, dot decimals in a comma file)."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iku.cli import app
from tests.conftest import RULES_FILE

runner = CliRunner()

# id, polarity, target, realisasi, formula, expected capaian_pct (None: empty), predikat, catatan
ROWS: list[tuple[str, str, str, str, str, float | None, str, str]] = [
    ("1", "negatif", "7", "6,5", "", 107.14285714285714, "ST", "rumus 2T-R"),
    ("2", "negative", "8", "9", "", 87.5, "T", "rumus 2T-R"),
    ("3", "positif", "80-90", "92", "", 102.22222222222221, "ST", "batas atas rentang dipakai"),
    ("4", "positive", "80 - 90", "70", "", 87.5, "T", "batas bawah rentang dipakai"),
    ("5", "negatif", "<49", "56,23", "", 85.24489795918369, "T", "batasnya dipakai"),
    ("6", "negatif", "11,9 - 12,4", "11,44", "", 103.86554621848741, "ST", "batas bawah"),
    ("7", "rentang", "2 - 4", "3,1", "", 100.0, "ST", "di dalam rentang: kebijakan 100"),
    ("8", "negatif", "<= 60 menit", "48", "T/R", 125.0, "ST", "rumus T/R"),
    ("9", "positif", "70 hingga 70,3", "70,1", "", 100.0, "ST", "di dalam rentang"),
    ("10", "negatif", "0 - 5", "0", "", 100.0, "ST", "di dalam rentang"),
    ("11", "positif", "80-90%", "85%", "", 100.0, "ST", "di dalam rentang"),
    ("12", "positif", "95", "1.234,5", "", 1234.5 / 95 * 100, "ST", "rumus R/T"),
    ("13", "positif", "2.400", "1.200", "", 50.0, "SR", "dibaca 1200 sesuai besaran target"),
    ("14", "positif", "95", "97.35", "", 97.35 / 95 * 100, "ST", "dibaca 97,35"),
    ("15", "negatif", "7", "15", "", -14.285714285714285, "SR", "skor dinaikkan"),
    ("16", "positif", "0", "0", "", 100.0, "ST", "target 0 dan realisasi 0"),
    # bad rows: the reason in catatan, never a crash
    ("17", "positif", "0", "5", "", None, "", "tidak dapat dihitung: target 0"),
    ("18", "positif", "sangat tinggi", "5", "", None, "", "target 'sangat tinggi' tidak dapat"),
    ("19", "naik", "95", "90", "", None, "", "polaritas 'naik' tidak dikenal"),
    ("20", "negatif", "8", "9", "2R-T", None, "", "rumus '2R-T' tidak dikenal"),
    ("21", "positif", "95", "belum tersedia", "", None, "", "belum tersedia"),
    ("22", "positif", "95", "-", "", None, "", "tidak dilaporkan"),
    ("23", "positif", "95", "", "", None, "", "tidak dilaporkan"),
    ("24", "positif", "95", "sembilan puluh", "", None, "", "bukan angka"),
    ("25", "positif", "100", "1.234", "", None, "", "ambigu (bisa 1,234 atau 1234)"),
    ("26", "negatif", "5", "0", "T/R", None, "", "realisasi 0 pada rumus T/R"),
    ("27", "positif", "", "90", "", None, "", "target kosong"),
    ("28", "positif", "95", "95", "T/R", 100.0, "ST", "rumus diabaikan"),
]
HEADER = ["id", "Polarity", "target", "realisasi", "formula", "keterangan"]


def write_input(path: Path, delimiter: str, *, bom: bool = False, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row_id, polarity, target, realisasi, formula, *_ in ROWS:
        writer.writerow([row_id, polarity, target, realisasi, formula, f"catatan {row_id}; ok"])
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    path.write_bytes(text.encode(encoding))
    return path


def parse_output(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def two_decimals(value: float) -> str:
    """What the README promises for capaian_pct: half up to two decimals, dot as the mark."""
    return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def check(records: list[list[str]], delimiter: str) -> None:
    mark, other = (",", ".") if delimiter == ";" else (".", ",")
    assert records[0] == [*HEADER, "capaian_pct", "capaian_pct_full", "predikat", "catatan"]
    assert len(records) == len(ROWS) + 1
    for record, expected in zip(records[1:], ROWS, strict=True):
        row_id, polarity, target, realisasi, formula, pct, band, words = expected
        # input cells unchanged and in order
        assert record[:6] == [row_id, polarity, target, realisasi, formula, f"catatan {row_id}; ok"]
        rounded, full = record[6], record[7]
        if pct is None:
            assert rounded == "" and full == "", record
        else:
            for cell in (rounded, full):  # the file's decimal mark, no grouping, no exponent
                assert other not in cell and "e" not in cell, record
            assert rounded == two_decimals(pct).replace(".", mark), record
            assert float(full.replace(mark, ".")) == pytest.approx(pct, rel=1e-12), record
        assert record[8] == band, record
        assert words in record[9], record


def test_semicolon_csv_with_bom_to_stdout(tmp_path: Path) -> None:
    source = write_input(tmp_path / "hitung.csv", ";", bom=True)
    result = runner.invoke(app, ["capaian", "--input", str(source)])
    assert result.exit_code == 0, result.output
    check(parse_output(result.stdout, ";"), ";")
    assert parse_output(result.stdout, ";")[1][6:8] == ["107,14", "107,14285714285714"]
    assert "Aturan versi 2026.2" in result.stderr
    assert "Aturan versi" not in result.stdout


def test_comma_csv_to_an_output_file(tmp_path: Path) -> None:
    source = write_input(tmp_path / "hitung.csv", ",")
    target = tmp_path / "hasil.csv"
    result = runner.invoke(app, ["capaian", "--input", str(source), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    records = parse_output(target.read_text(encoding="utf-8"), ",")
    check(records, ",")
    assert records[1][6:8] == ["107.14", "107.14285714285714"]


def test_windows_1252_text_is_read(tmp_path: Path) -> None:
    source = tmp_path / "hitung.csv"
    source.write_bytes("id;polarity;target;realisasi;unit\n1;positif;95;95;°C\n".encode("cp1252"))
    result = runner.invoke(app, ["capaian", "-i", str(source)])
    assert result.exit_code == 0, result.output
    assert parse_output(result.stdout, ";")[1] == [
        "1",
        "positif",
        "95",
        "95",
        "°C",
        "100,00",
        "100",
        "ST",
        "rumus R/T",
    ]


def test_ragged_rows_are_explained(tmp_path: Path) -> None:
    source = tmp_path / "hitung.csv"
    source.write_text("polarity,target,realisasi\npositif,95\npositif,95,95,lebih\n\n")
    result = runner.invoke(app, ["capaian", "-i", str(source)])
    assert result.exit_code == 0, result.output
    records = parse_output(result.stdout, ",")
    assert len(records) == 3  # the blank line is dropped
    assert records[1][:3] == ["positif", "95", ""] and "tidak dilaporkan" in records[1][6]
    assert records[2][3:5] == ["100.00", "100"] and "kolom berlebih dibuang" in records[2][6]


def test_the_rules_file_decides_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iku.runtime import reset_process_runtime

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        RULES_FILE.read_text(encoding="utf-8").replace(
            "range_inside_value: 100", "range_inside_value: 95"
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("IKU_RULES_FILE", str(rules))
    reset_process_runtime()
    source = tmp_path / "hitung.csv"
    source.write_text("polarity,target,realisasi\nrentang,2 - 4,3\n")
    result = runner.invoke(app, ["capaian", "-i", str(source)])
    assert result.exit_code == 0, result.output
    assert parse_output(result.stdout, ",")[1][3:] == [
        "95.00",
        "95",
        "ST",
        "di dalam rentang: kebijakan 95",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,target,realisasi\n1,95,90\n", "tidak memiliki kolom polarity"),
        ("", "kosong"),
        ("polarity,target,realisasi,catatan\npositif,95,90,x\n", "sudah memiliki kolom catatan"),
    ],
)
def test_unusable_input_is_one_clear_message(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "hitung.csv"
    source.write_text(content)
    result = runner.invoke(app, ["capaian", "--input", str(source)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_input_and_unwritable_output(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["capaian", "--input", str(tmp_path / "tidak-ada.csv")])
    assert missing.exit_code == 1 and "tidak ada" in missing.output
    source = write_input(tmp_path / "hitung.csv", ",")
    unwritable = runner.invoke(
        app, ["capaian", "-i", str(source), "-o", str(tmp_path / "no" / "such" / "dir.csv")]
    )
    assert unwritable.exit_code == 1 and "tidak ada" in unwritable.output
    assert not (tmp_path / "no").exists()  # no folder the user did not name
    assert "Traceback" not in unwritable.output


# Issue 13's target forms in the calculator: a qualitative IKU names its scale (column
# `scale`), "3 ± 1" is the range 2-4, and better than a negative target is above 100.
# scale, polarity, target, realisasi, formula, capaian_pct, predikat, catatan words
FORMS_13 = [
    ("opini_bpk", "positif", "WTP", "WDP", "", "75", "S", "batas minimum"),
    ("akreditasi_rs", "positif", "Paripurna", "Paripurna", "", "100", "ST", "batas minimum"),
    ("predikat_sakip", "positif", "BB", "A", "", "120", "ST", "batas minimum"),
    ("predikat_sakip", "positif", "minimal BB", "bb", "", "100", "ST", "batas minimum"),
    ("opini", "positif", "WTP", "WTP", "", "", "", "skala 'opini' tidak dikenal"),
    ("opini_bpk", "positif", "WTP", "Baik", "", "", "", "realisasi 'Baik' bukan tingkat"),
    ("opini_bpk", "positif", "Wajar", "WTP", "", "", "", "tulis salah satu: WTP, WDP, TW, TMP"),
    ("", "rentang", "3 ± 1", "3,5", "", "100", "ST", "di dalam rentang"),
    ("", "rentang", "3 ± 1", "5", "", "75", "S", "batas atas rentang dipakai"),
    ("", "positif", "-1,5", "-0,5", "", "166.66666666666669", "ST", "rumus R/T"),
    ("", "negatif", "-2", "-3", "T/R", "150", "ST", "rumus T/R"),
    ("", "negatif", "-2", "-1", "", "50", "SR", "rumus 2T-R"),
]


def test_qualitative_scales_and_issue_13_target_forms(tmp_path: Path) -> None:
    source = tmp_path / "hitung.csv"
    lines = ["skala;polaritas;target;realisasi;rumus"]
    lines += [";".join(row[:5]) for row in FORMS_13]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["capaian", "-i", str(source)])
    assert result.exit_code == 0, result.output
    records = parse_output(result.stdout, ";")
    assert records[0] == [
        *lines[0].split(";"),
        "capaian_pct",
        "capaian_pct_full",
        "predikat",
        "catatan",
    ]
    for record, (*cells, pct, band, words) in zip(records[1:], FORMS_13, strict=True):
        assert record[:5] == cells
        if pct:  # a semicolon file gets comma decimals
            assert float(record[6].replace(",", ".")) == pytest.approx(float(pct)), record
        else:
            assert record[5] == record[6] == "", record
        assert record[7] == band, record
        assert words in record[8], record
