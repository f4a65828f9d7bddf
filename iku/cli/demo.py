"""`iku demo`: a full first look on the embedded database, from a fresh clone.

Sets up the database and catalog, simulates the agencies' submissions from January to the
previous month of 2026 (the catalog's year) as real agencies send them (``realistic``: a
mid-year start, missed and late months, late statistical releases, unit slips,
under-performing agencies; :mod:`iku.simulate.realism`) with a few planted defects into the
inbox, loads them with the receipt times the simulation states (history arrives with its own
times), and runs the monthly evaluation flow for every month in order. Then the demo steward
(``pengelola.demo``) corrects the last month's unit slip through the review operation, after
its bulletins were delivered; the last month is run again, so its changed bulletins are issued
again as "Revisi 2" and delivered once. The summary says where each section of the bulletins
shows something, with counts (:class:`Showcase`). The caller applies Prefect's start-up
defaults (:mod:`flows.environment`) before importing this module's flow. ``months`` shortens
the span (``iku demo --months 1``: January only) for quick checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func

from iku.access import Actor
from iku.calendar import Period, periods_between, previous_period
from iku.i18n import N_, _
from iku.runtime import Runtime

DEMO_YEAR = 2026
DEMO_SEED = 20261128
DEMO_DEFECTS = 8
#: Who states the receipt times of the simulated history (recorded with every submission).
DEMO_STATED_BY = "iku demo (simulasi)"
#: The demo's data steward, who corrects the unit slip (a steward of every agency).
DEMO_STEWARD = "pengelola.demo"
DEMO_STEWARD_NAME = "Pengelola Data (demo)"
MSG_SLIP_NOTE: Final = N_(
    "Unit slip: the value per 1,000 was written as a percentage (%(written)s); corrected to "
    "%(value)s as the agency's report says."
)


@dataclass
class Showcase:
    """Where the last month's bulletins show each section, with counts."""

    #: "perlu tindakan" of the last month: reason code -> items.
    attention: dict[str, int]
    #: IKU whose year to date is "belum lengkap" (fewer months reported than the policy).
    incomplete: list[str]
    #: IKU held out of the aggregates until a steward verifies them.
    held: list[str]
    #: IKU whose value comes from an earlier period (a late statistical release).
    dated: list[str]
    #: The unit slip the demo steward corrected: "RSUDAM-04 2,52 -> 25,25 (#id)", or None.
    corrected: str | None
    #: Bulletins issued again after the correction: (subject, revision).
    reissued: list[tuple[str, int]]
    #: Deliveries of those re-issued bulletins (each recipient once).
    redelivered: int


@dataclass
class DemoResult:
    first: str
    last: str
    files: int
    cycles: list[dict[str, Any]]
    province_pdf: Path
    index_html: Path
    review_html: Path
    open_issues: int
    showcase: Showcase | None = None


MSG_SETUP: Final = N_("Setting up the database and the catalog")
MSG_SIMULATING: Final = N_("Simulating the submissions %(first)s .. %(last)s")
MSG_CYCLE: Final = N_("Monthly evaluation %(period)s")
MSG_REVISION: Final = N_("Steward's correction; %(period)s issued again")
MSG_DONE: Final = N_("Done")


def demo_periods(now_period: str | None = None, months: int | None = None) -> tuple[str, str]:
    """January to the previous month, within the catalog's year (at most ``months`` months)."""
    last = Period.parse(now_period or previous_period())
    if last.year > DEMO_YEAR:
        last = Period(DEMO_YEAR, 12)
    if last.year < DEMO_YEAR:
        last = Period(DEMO_YEAR, 1)
    if months is not None:
        last = Period(DEMO_YEAR, max(1, min(last.month, months)))
    return f"{DEMO_YEAR}-01", str(last)


def run_demo(
    rt: Runtime,
    progress: Callable[[str, int, int], None] = lambda *_: None,
    *,
    months: int | None = None,
) -> DemoResult:
    """Run the demo; ``progress(label, done, total)`` is told about each step."""
    from flows.monthly_evaluation import evaluate
    from iku.catalog import read_catalog
    from iku.db import session_scope
    from iku.operations.ingest import ingest_history
    from iku.operations.setup import setup
    from iku.simulate import simulate, stated_receipts
    from quality.review import list_issues

    first, last = demo_periods(months=months)
    periods = periods_between(first, last)
    total = len(periods) + 3
    progress(_(MSG_SETUP), 0, total)
    setup(rt)
    progress(_(MSG_SIMULATING, first=first, last=last), 1, total)
    simulation = simulate(
        read_catalog(rt.paths.catalog, rt.rules),
        rt.rules,
        period=last,
        out_dir=rt.paths.inbox,
        months=len(periods),
        defects=DEMO_DEFECTS,
        seed=DEMO_SEED,
        realistic=True,
    )
    # The simulated year is history that arrived earlier: it is loaded with the receipt times
    # the simulation states (recorded as stated by the demo), so lateness and the open window
    # are judged as they would have been; the monthly cycles then find the inbox empty.
    ingest_history(rt, stated_receipts(simulation.manifest_path), by=DEMO_STATED_BY)
    cycles = []
    for done, period in enumerate(periods, start=2):
        progress(_(MSG_CYCLE, period=period), done, total)
        cycles.append(evaluate(rt, period))
    # After the bulletins went out, the steward corrects the unit slip; the last month is run
    # again and its changed bulletins are issued again ("Revisi") and delivered once.
    corrected = correct_slip(rt, simulation.manifest_path, last)
    if corrected is not None:
        progress(_(MSG_REVISION, period=last), total - 1, total)
        cycles.append(evaluate(rt, last))
    progress(_(MSG_DONE), total, total)
    out = rt.paths.period_dir(last)
    with session_scope(rt.engine) as session:
        open_issues = len(list_issues(session, status="open"))
    return DemoResult(
        first=first,
        last=last,
        files=len(simulation.files),
        cycles=cycles,
        province_pdf=out / "provinsi.pdf",
        index_html=out / "index.html",
        review_html=out / "review" / "index.html",
        open_issues=open_issues,
        showcase=showcase(rt, last, corrected),
    )


def demo_steward(rt: Runtime) -> Actor:
    """The demo's steward account (created once, without a password: it signs in nowhere)."""
    from iku.accounts import actor_of, create_account, find_account
    from iku.db import session_scope

    with session_scope(rt.engine) as session:
        account = find_account(session, DEMO_STEWARD)
        if account is None:
            account = create_account(
                session,
                DEMO_STEWARD,
                role="steward",
                password=None,
                display_name=DEMO_STEWARD_NAME,
            )
        return actor_of(account, "cli:iku demo")


def correct_slip(rt: Runtime, manifest_path: Path, period: str) -> str | None:
    """Accept the simulated per-mille slip of ``period`` with its true value as the demo
    steward (:func:`iku.operations.review.decide_issue`); returns what was corrected, or None
    when the simulation has no such slip (a short demo) or it was decided already."""
    import json

    from sqlalchemy import select

    from iku import models as m
    from iku.db import session_scope
    from iku.formatting import angka
    from iku.operations.review import decide_issue

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    slips = [
        e
        for e in manifest.get("realism", [])
        if e["kind"] == "unit_slip"
        and e["slip"] == "per_mille_as_percent"
        and e["period"] == period
    ]
    if not slips:
        return None
    slip = slips[0]
    with session_scope(rt.engine) as session:
        issue_id = session.scalars(
            select(m.ValidationIssue.id).where(
                m.ValidationIssue.rule == slip["expected"]["rule"],
                m.ValidationIssue.indicator_code == slip["indicator_code"],
                m.ValidationIssue.period == period,
                m.ValidationIssue.status == "open",
            )
        ).first()
    if issue_id is None:
        return None
    written, value = angka(slip["written"], 2, 0), angka(slip["true_value"], 2, 0)
    decide_issue(
        rt,
        issue_id,
        "accept",
        actor=demo_steward(rt),
        note=_(MSG_SLIP_NOTE, written=written, value=value),
        value=float(slip["true_value"]),
    )
    return f"{slip['indicator_code']} {written} → {value} (#{issue_id})"


def showcase(rt: Runtime, period: str, corrected: str | None) -> Showcase:
    """What the last month's bulletins show in each section, counted from the database."""
    from collections import Counter

    from sqlalchemy import select

    from iku import models as m
    from iku.db import session_scope
    from iku.reports.attention import attention_items
    from iku.reports.issues import reference_date

    with session_scope(rt.engine) as session:
        cycle_id = session.scalars(
            select(m.EvaluationCycle.id).where(m.EvaluationCycle.period == period)
        ).one()
        rows = session.execute(
            select(
                m.Achievement.subject_key,
                m.Achievement.ytd_complete,
                m.Achievement.awaiting_verification,
                m.Achievement.realisasi_period,
            ).where(m.Achievement.cycle_id == cycle_id, m.Achievement.level == "indicator")
        ).all()
        items = attention_items(session, period, rt.rules, as_of=reference_date(period, rt.rules))
        revised = session.execute(
            select(m.Bulletin.id, m.Bulletin.subject_key, m.Bulletin.revision)
            .where(m.Bulletin.cycle_id == cycle_id, m.Bulletin.revision > 1)
            .order_by(m.Bulletin.subject_key)
        ).all()
        redelivered = session.scalar(
            select(func.count(m.Delivery.id)).where(
                m.Delivery.bulletin_id.in_([r.id for r in revised])
            )
        )

    def code(key: str) -> str:
        return key.split(":", 1)[1]

    return Showcase(
        attention=dict(sorted(Counter(i.reason for i in items).items())),
        incomplete=sorted(code(r.subject_key) for r in rows if r.ytd_complete is False),
        held=sorted(code(r.subject_key) for r in rows if r.awaiting_verification),
        dated=sorted(
            code(r.subject_key)
            for r in rows
            if r.realisasi_period is not None and r.realisasi_period < period
        ),
        corrected=corrected,
        reissued=[(r.subject_key, r.revision) for r in revised],
        redelivered=int(redelivered or 0),
    )
