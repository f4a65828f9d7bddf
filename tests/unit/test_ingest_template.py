"""The .xlsx template: layout, protection, state list, target in force; it reads back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from iku.catalog import Catalog, read_catalog
from iku.ingest.readers import ReadLimits, read_xlsx
from iku.ingest.template import (
    HEADER_ROW,
    STATE_CHOICES,
    TemplateRow,
    TemplateSpec,
    target_number,
    write_template,
)
from iku.settings import TIMEZONE
from tests.conftest import CATALOG_DIR


def _describe(catalog: Catalog, code: str, period: str) -> str:
    targets = catalog.targets_by_month()(period)
    return targets.describe(targets.position(code), target_number)


def test_target_text_from_the_catalog() -> None:
    catalog = read_catalog(CATALOG_DIR)
    assert _describe(catalog, "RSUDAM-01", "2026-10") == "<= 60 menit"
    assert _describe(catalog, "BMBK-01", "2026-06") == "76,5"
    assert _describe(catalog, "BMBK-01", "2026-12") == "75 (Perubahan PK, versi 2)"
    assert _describe(catalog, "DKPTPH-02", "2026-10") == "2.900.000; periode ini: 170.000"


def _spec() -> TemplateSpec:
    return TemplateSpec(
        agency_code="DINKES",
        agency_name="Dinas Kesehatan Provinsi Lampung",
        period="2026-10",
        rows=[
            TemplateRow("DINKES-01", "Angka Kesakitan DBD", "per 100.000 penduduk", "<49"),
            TemplateRow("DINKES-02", "Cakupan IDL", "%", "95"),
        ],
        generated_at=datetime(2026, 10, 25, 8, 0, tzinfo=TIMEZONE),
    )


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(_spec(), tmp_path / "t.xlsx")


def test_layout_protection_and_state_list(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["Realisasi", "Petunjuk", "_iku"]
    assert workbook["_iku"].sheet_state == "hidden"
    sheet = workbook["Realisasi"]
    assert sheet.protection.sheet is True
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers[:7] == ["No", "Kode IKU", "Nama IKU", "Satuan", "Target", "Realisasi", "Status"]
    first = HEADER_ROW + 1
    assert sheet.cell(first, 2).protection.locked  # reference columns are locked
    assert not sheet.cell(first, 6).protection.locked  # realisasi is editable
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].formula1 == '"' + ",".join(STATE_CHOICES) + '"'
    assert f"G{first}:G{first + 1}" in str(validations[0].sqref)
    guide = " ".join(str(c.value) for c in workbook["Petunjuk"]["A"] if c.value)
    assert "belum tersedia" in guide and "Keterangan" in guide


def test_same_spec_gives_the_same_bytes(template: Path, tmp_path: Path) -> None:
    assert write_template(_spec(), tmp_path / "again.xlsx").read_bytes() == template.read_bytes()


def test_template_reads_back(template: Path) -> None:
    table = read_xlsx(template, ReadLimits(100, 10**8, 10**6, 1000, 30))
    assert table.reader == "template"
    assert table.agencies == [(2, "DINKES")] and table.periods == [(4, "2026-10")]
    assert [(r.source_row, r.indicator_code, r.value) for r in table.rows] == [
        (HEADER_ROW + 1, "DINKES-01", None),
        (HEADER_ROW + 2, "DINKES-02", None),
    ]


def test_marks_and_numeric_bounds(tmp_path: Path) -> None:
    spec = _spec()
    spec.rows[0].cumulative = True
    spec.rows[0].evidence_required = True
    spec.rows[0].min_value = 0.0
    spec.rows[1].min_value, spec.rows[1].max_value = 0.0, 120.0
    sheet = openpyxl.load_workbook(write_template(spec, tmp_path / "b.xlsx"))["Realisasi"]
    first = HEADER_ROW + 1
    assert (
        sheet.cell(first, 3).value
        == "Angka Kesakitan DBD [kumulatif sejak Januari; wajib Link Bukti]"
    )
    assert sheet.cell(first + 1, 3).value == "Cakupan IDL"
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation if v.type == "decimal"}
    assert rules[f"F{first}"].operator == "greaterThanOrEqual"
    assert float(rules[f"F{first}"].formula1) == 0.0
    between = rules[f"F{first + 1}"]
    assert between.operator == "between" and float(between.formula2) == 120.0
    assert between.showErrorMessage and "120" in between.error
    # it still reads back as the template, values and all
    table = read_xlsx(tmp_path / "b.xlsx", ReadLimits(100, 10**8, 10**6, 1000, 30))
    assert table.reader == "template"
