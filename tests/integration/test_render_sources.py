"""A rerun does not even build the bulletins whose data did not change (issue 19: a rerun after
one agency resubmits, at 22.000 agencies, in seconds).

Each agency bulletin is built from :meth:`PeriodData.of_agency`, the part of the period it
shows; the digest of that part (:func:`iku.bulletins.jobs.source_digest`) is recorded with the
bulletin, and a rerun whose digest is the recorded one, with the files in place, leaves the
bulletin as it stands: no context, no figures, no file read back (the hashes are recorded).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import Engine, select, update

from iku import models as m
from iku.bulletins.jobs import (
    UNCHANGED,
    RenderResult,
    inputs_digest,
    plan_jobs,
    render_period,
    source_digest,
)
from iku.bulletins.readmodel import PeriodData, load_period
from iku.bulletins.revisions import current_issues
from iku.bulletins.views import agency_context
from iku.db import session_scope
from iku.rules import Rules
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, add_issues


def _data(engine: Engine, rules: Rules, *, dated_by_data: bool = False) -> PeriodData:
    return load_period(
        engine, PERIOD, rules=rules, generated_at=None if dated_by_data else GENERATED_AT
    )


def _set_agency_note(engine: Engine, code: str, note: str) -> None:
    """Another note on every realisasi of ``code`` (its figures stay as they are; the seeded
    period has realisasi rows of DINKES only)."""
    with session_scope(engine) as session:
        indicators = select(m.Indicator.id).join(m.Agency).where(m.Agency.code == code)
        session.execute(
            update(m.Realisation)
            .where(m.Realisation.indicator_id.in_(indicators))
            .values(note=note)
        )


def _render(engine: Engine, rules: Rules, out: Path) -> RenderResult:
    result = render_period(PERIOD, engine, output_dir=out, rules=rules)
    assert result.ok, result.failures
    return result


def test_an_agency_bulletin_from_its_own_data_is_the_one_from_the_whole_period(
    seeded: Engine, rules: Rules
) -> None:
    codes = [a.code for a in _data(seeded, rules).agencies if a.code != "DINKES"]
    add_issues(seeded, {codes[0]: 3, codes[1]: 1})
    for dated_by_data in (False, True):
        data = _data(seeded, rules, dated_by_data=dated_by_data)
        assert len(data.agencies) >= 5
        for agency in data.agencies:
            own = data.of_agency(agency)
            assert own.agencies == (agency,)
            context = agency_context(own, agency)
            assert context == agency_context(data, agency), agency.code
            # Equal down to the digest of the render inputs: the same files.
            whole = inputs_digest("agency.html", agency_context(data, agency), rules)
            assert inputs_digest("agency.html", context, rules) == whole, agency.code


def test_the_digest_follows_the_data_not_the_clock_nor_the_objects(
    seeded: Engine, rules: Rules
) -> None:
    def digests() -> dict[str, str | None]:
        data = _data(seeded, rules, dated_by_data=True)  # a new load: new objects, a new clock
        return {a.code: source_digest("agency.html", data.of_agency(a)) for a in data.agencies}

    before = digests()
    assert all(before.values()) and len(set(before.values())) == len(before)
    assert digests() == before
    _set_agency_note(seeded, "DINKES", "Catatan baru: angka dikoreksi.")
    after = digests()
    assert after["DINKES"] != before["DINKES"]
    assert {k: v for k, v in after.items() if k != "DINKES"} == {
        k: v for k, v in before.items() if k != "DINKES"
    }


def test_a_rerun_builds_only_the_agency_whose_data_changed(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    first = _render(seeded, rules, tmp_path)
    agencies = {b.subject_key for b in first.bulletins if b.audience == "agency"}
    with session_scope(seeded) as session:
        rows = list(session.scalars(select(m.Bulletin).where(m.Bulletin.audience != "index")))
        for row in rows:
            assert row.html_path is not None and row.pdf_path is not None
            assert row.html_sha256 == hashlib.sha256(Path(row.html_path).read_bytes()).hexdigest()
            assert row.sha256 == hashlib.sha256(Path(row.pdf_path).read_bytes()).hexdigest()
        assert {r.subject_key for r in rows if r.source_sha256} == agencies

    _set_agency_note(seeded, "DINKES", "Catatan baru: angka dikoreksi.")
    data = _data(seeded, rules, dated_by_data=True)  # as render_period reads it
    with session_scope(seeded) as session:
        issued = current_issues(session, data.cycle_id)
    jobs, failures, same = plan_jobs(data, tmp_path / PERIOD, None, issued)
    assert not failures
    assert {j.subject_key for j in jobs} == {"DINKES", "province"}
    assert {b.subject_key for b in same} == agencies - {"DINKES"}
    assert all(b.decision is not None and b.decision.action == UNCHANGED for b in same)

    again = _render(seeded, rules, tmp_path)
    rendered = {b.subject_key for b in again.bulletins if b.rendered_by}
    assert rendered == {"DINKES", "index"}  # the province shows no agency note: same inputs
    # The manifest's hashes of the files left alone are theirs, though none was read back.
    manifest = json.loads((tmp_path / PERIOD / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data_file = tmp_path / PERIOD / entry["file"]
        assert entry["sha256"] == hashlib.sha256(data_file.read_bytes()).hexdigest(), entry


def test_a_delivered_bulletin_with_the_same_data_is_kept(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    first = _render(seeded, rules, tmp_path)
    pdfs = {b.subject_key: b.pdf_path for b in first.bulletins if b.pdf_path is not None}
    stamps = {k: p.stat().st_mtime_ns for k, p in pdfs.items()}
    with session_scope(seeded) as session:
        session.execute(update(m.Bulletin).values(sent_at=GENERATED_AT))
    again = _render(seeded, rules, tmp_path)
    assert {b.subject_key for b in again.kept} == set(pdfs)
    assert not again.reissued and not again.unchanged
    assert {k: p.stat().st_mtime_ns for k, p in pdfs.items()} == stamps
    with session_scope(seeded) as session:
        revisions = set(session.scalars(select(m.Bulletin.revision)))
    assert revisions == {1}


def test_where_to_act_from_the_read_results_is_what_the_database_says(
    seeded: Engine, rules: Rules
) -> None:
    """The read model hands the results it read to "perlu tindakan" instead of reading the
    cycle's figures again: the items are those read from the database (as the CSV export
    reads them), and they are not empty."""
    from iku.reports.attention import attention_items
    from iku.reports.issues import reference_date

    data = _data(seeded, rules)
    with session_scope(seeded) as session:
        read = attention_items(
            session, PERIOD, rules, as_of=reference_date(PERIOD, rules, GENERATED_AT)
        )
    assert list(data.attention) == read
    reasons = {item.reason for item in read}
    assert {"tidak_tercapai", "capaian_rendah", "menunggu_verifikasi"} <= reasons, reasons
