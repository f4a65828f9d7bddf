"""The validation flow: validate a period's staged submissions, then refresh the review page."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.validate import render_review, validate_submissions


@flow(name="validate-period", log_prints=True)
def validate_period_flow(period: str, agency: str | None = None) -> dict[str, Any]:
    """Validate every staged submission of ``period`` and write the stewards' review page."""
    summary = validate_submissions(period, agency)
    summary["review_page"] = render_review(period)
    return summary
