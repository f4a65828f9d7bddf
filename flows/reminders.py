"""The reminders flow: during the submission window, remind agencies that have not submitted."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from iku.delivery.reminders import today_wib
from iku.operations.deliver import remind
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


@task(
    name="send-reminders",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def send_reminders_task(day: date) -> dict[str, Any]:
    """At most one reminder per agency a day; a retry sends nothing twice (unique log)."""
    return remind(process_runtime(), day).as_dict()


@flow(name="submission-reminders", log_prints=True)
def submission_reminders(day: str | None = None) -> dict[str, Any]:
    """Remind agencies whose report for the collected period has not arrived (``day``: YYYY-MM-DD,
    default today in WIB)."""
    return send_reminders_task(date.fromisoformat(day) if day else today_wib())


# A deployment's worker loads this module: without IKU_DATABASE_URL where one is required
# (IKU_REQUIRE_DATABASE_URL, set by prefect.yaml) the run stops here, with one sentence.
process_runtime()
