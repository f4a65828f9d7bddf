"""Cycle bookkeeping as Prefect tasks: start, finish, and the cycle's summary artifact."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.cycles import RunOutcome
from iku.locks import CycleFence
from iku.operations import cycle
from iku.operations.deliver import alert_bureau
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient

_RETRY: dict[str, Any] = {
    "cache_policy": NO_CACHE,
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_transient,
}


@task(name="start-cycle", **_RETRY)
def start_cycle_task(period: str, fence: CycleFence | None = None) -> int:
    """Mark the period's cycle as running; return its id."""
    return cycle.start(process_runtime(), period, fence=fence)


@task(name="alert-bureau", cache_policy=NO_CACHE)
def alert_bureau_task(period: str, outcome: str, run_url: str | None = None) -> dict[str, Any]:
    """E-mail the bureau that the period's cycle ended ``outcome`` (a partial run: inside the
    flow, so the alert shows in its run); never raises."""
    sent = alert_bureau(process_runtime(), period, outcome, run_url=run_url)
    return {"channel": sent.channel, "recipients": sent.recipients, "error": sent.error}


@task(name="finish-cycle", **_RETRY)
def finish_cycle_task(
    period: str, outcome: RunOutcome, fence: CycleFence | None = None
) -> dict[str, Any]:
    """Record the outcome, counts and timings of the run; publish the summary artifact."""
    rt = process_runtime()
    summary = cycle.finish(rt, period, outcome, fence=fence)
    _publish(period, outcome.status, summary["counts"], outcome.timings, rt.rules.version)
    return summary


def _publish(
    period: str, status: str, counts: dict[str, Any], timings: dict[str, float], version: str
) -> None:
    """The cycle's summary table, in Bahasa Indonesia with id_ID numbers."""
    from prefect.artifacts import create_table_artifact

    from tasks import artifacts as a

    submissions = counts.get("submissions") or {}
    rows = [
        {"butir": "status", "nilai": a.word(a.STATUS_WORDS, status)},
        {"butir": "versi aturan", "nilai": version},
        {"butir": "kiriman", "nilai": a.count(sum(submissions.values()))},
        *(
            {"butir": f"kiriman {a.word(SUBMISSION_WORDS, name)}", "nilai": a.count(value)}
            for name, value in sorted(submissions.items())
        ),
        {"butir": "baris masuk", "nilai": a.count(counts.get("rows_in"))},
        {"butir": "baris diterima", "nilai": a.count(counts.get("rows_accepted"))},
        {"butir": "baris ditahan", "nilai": a.count(counts.get("rows_quarantined"))},
        {"butir": "isu terbuka", "nilai": a.count(counts.get("open_issues"))},
        {"butir": "tingkat pelaporan", "nilai": a.percent(counts.get("reporting_rate"))},
        {"butir": "tepat waktu", "nilai": a.percent(counts.get("on_time_rate"))},
        {"butir": "baris capaian", "nilai": a.count(counts.get("achievements"))},
    ]
    rows += [
        {"butir": f"waktu {STEP_WORDS.get(step, step)}", "nilai": a.seconds(value)}
        for step, value in timings.items()
    ]
    create_table_artifact(
        key=f"cycle-summary-{period}",
        table=rows,
        description=f"Evaluasi bulanan {period}: {a.word(a.STATUS_WORDS, status)}",
    )


#: How a submission status and a step read in the summary.
SUBMISSION_WORDS = {
    "staged": "menunggu validasi",
    "validated": "tervalidasi",
    "rejected": "ditolak",
    "superseded": "digantikan",
}
STEP_WORDS = {
    "ingest": "penerimaan",
    "validate": "validasi",
    "compute": "perhitungan",
    "render": "pembuatan buletin",
    "deliver": "pengiriman",
}
