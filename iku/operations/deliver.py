"""Delivering a period's rendered bulletins to their recipients, and reminding agencies."""

from __future__ import annotations

from datetime import date
from typing import Any

from iku.delivery.bulletins import DeliveryReport, deliver_period
from iku.delivery.reminders import ReminderReport, send_reminders
from iku.locks import CycleFence
from iku.runtime import Runtime


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
