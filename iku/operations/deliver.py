"""Delivering a period's rendered bulletins, reminding agencies, alerting the bureau."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from iku.cycles import cycle_of
from iku.db import session_scope
from iku.delivery.alerts import AlertOutcome, CycleAlert, send_alert
from iku.delivery.bulletins import DeliveryReport, deliver_period
from iku.delivery.reminders import ReminderReport, send_reminders
from iku.locks import CycleFence
from iku.runtime import Runtime

log = logging.getLogger(__name__)


def deliver(
    rt: Runtime,
    period: str,
    *,
    resend: bool = False,
    resend_unknown: bool = False,
    fence: CycleFence | None = None,
) -> DeliveryReport:
    """Deliver the rendered bulletins of ``period`` at most once each (again with ``resend``;
    only those whose delivery is unknown with ``resend_unknown``)."""
    return deliver_period(
        period,
        rt.engine,
        settings=rt.settings,
        resend=resend,
        resend_unknown=resend_unknown,
        output_dir=rt.paths.output,
        fence=fence,
    )


def summary(report: DeliveryReport) -> dict[str, Any]:
    """A JSON-friendly summary of a delivery run."""
    return {
        "period": report.period,
        "channel": report.channel,
        "sent": report.sent,
        "skipped": report.skipped,
        "failed": [
            {"subject": o.subject_key, "email": o.email, "attempts": o.attempts, "error": o.error}
            for o in report.failures
        ],
        "unknown": [
            {
                "subject": o.subject_key,
                "email": o.email,
                "message_id": o.message_id,
                "error": o.error,
            }
            for o in report.uncertain
        ],
    }


def remind(rt: Runtime, day: date) -> ReminderReport:
    """Remind agencies that have not submitted (reminder days only, at most once a day)."""
    return send_reminders(day, rt.rules, rt.settings, rt.engine)


def failure_lines(counts: dict[str, Any]) -> list[str]:
    """The failed bulletins and recipients a cycle's step summaries list, one line each."""
    steps = counts.get("steps") or {}
    render = steps.get("render") or {}
    deliver_step = steps.get("deliver") or {}
    lines = [f"buletin {f.get('subject')}: {f.get('error')}" for f in render.get("failures") or []]
    lines += [
        f"pengiriman {f.get('subject')} ke {f.get('email')}: {f.get('error')}"
        for f in deliver_step.get("failed") or []
    ]
    return lines


def alert_bureau(
    rt: Runtime,
    period: str,
    outcome: str,
    *,
    error: str | None = None,
    run_url: str | None = None,
) -> AlertOutcome:
    """E-mail the bureau that the period's cycle ended ``outcome`` (failed, crashed, partial),
    with what the cycle's record says. The database may be what failed: then the alert goes
    out with what the caller knows."""
    counts: dict[str, Any] = {}
    try:
        with session_scope(rt.engine) as session:
            cycle = cycle_of(session, period)
            if cycle is not None:
                counts = dict(cycle.counts or {})
                error = error or cycle.error
    except Exception as exc:  # an alert must not hide the failure it reports
        log.warning("cycle record of %s unreadable for the alert: %s", period, exc)
    alert = CycleAlert(
        period=period,
        outcome=outcome,
        error=error,
        failures=failure_lines(counts),
        counts=counts,
        run_url=run_url,
        log_file=rt.settings.log_path,
    )
    return send_alert(alert, rt.settings, rt.paths.output)
