"""The render flow step: bulletins of one period, then their delivery. Composes tasks only."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.render import deliver_bulletins_task, render_bulletins_task


@flow(name="render-period")
def render_period(
    period: str, deliver: bool = True, resend: bool = False, workers: int = 1
) -> dict[str, Any]:
    """Render the bulletins of ``period`` (YYYY-MM) and deliver them to their recipients."""
    rendered = render_bulletins_task(period, workers=workers)
    delivered = deliver_bulletins_task(period, resend=resend) if deliver else None
    return {"render": rendered, "delivery": delivered}
