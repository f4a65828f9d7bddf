"""The agency portal under ``/portal`` (role ``agency``: an agency's data officer).

The period's form (one line per IKU that is due), the upload of a filled template or any
supported file, and the answer in the same page: which rows were accepted, which are held and
why (the stewards' messages). Beside it: the agency's open items, its submissions and their
versions, its bulletins and the notices it received. Thin: access, the submission operation
(:mod:`iku.operations.submissions`, the same as the API's), a template.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from iku.access import Action
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.operations.review import list_review_items
from iku.operations.submissions import (
    FORM_STATES,
    FormLine,
    SubmissionError,
    SubmissionResult,
    agency_figures,
    agency_reminders,
    form_json,
    form_lines,
    list_submissions,
    submitting_agency,
)
from iku.periods import PeriodLockedError
from iku.web.deps import CsrfChecked, PageUser, page_user, runtime, submission_desk
from iku.web.errors import WebError
from iku.web.pages import page
from iku.web.views import list_bulletins, parse_period

log = logging.getLogger("iku.web")
router = APIRouter(prefix="/portal", include_in_schema=False)

PortalUser = Annotated[PageUser, Depends(page_user(Action.SUBMIT))]


def period_label(period: str) -> str:
    """``2026-10`` -> ``Oktober 2026``."""
    from iku import calendar

    return calendar.label(period)


def open_periods(rt: Any) -> list[str]:
    """The periods the open window accepts now, newest first."""
    from iku import calendar  # numpy: imported at the first request, not at start-up

    now = now_wib()
    current = calendar.make_period(now.year, now.month)
    months = rt.rules.submission.open_months
    return [calendar.shift_period(current, -n) for n in range(1, months + 1)]


def _chosen(rt: Any, period: str | None) -> str:
    choices = open_periods(rt)
    chosen = parse_period(period) or choices[0]
    if chosen not in choices:
        raise WebError(
            422,
            _(
                "The period %(period)s is not open for submissions; choose one of %(open)s.",
                period=chosen,
                open=", ".join(choices),
            ),
        )
    return chosen


def _notices(rt: Any, agency: str) -> list[dict[str, Any]]:
    """The notices of rejected files and the receipt notes the agency received, newest first."""
    folder = rt.paths.output / "outbox" / agency
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.txt"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:4000]
            at = path.stat().st_mtime
        except OSError:
            continue
        kind = "rejection" if path.name.startswith("penolakan_") else "receipt"
        found.append({"name": path.name, "kind": kind, "text": text, "at": at})
    found.sort(key=lambda n: n["at"], reverse=True)
    return found[:20]


def _portal(
    request: Request,
    user: PageUser,
    period: str,
    lines: list[FormLine],
    *,
    result: SubmissionResult | None = None,
    error: SubmissionError | None = None,
    status: int = 200,
) -> HTMLResponse:
    rt = runtime(request)
    agency = submitting_agency(user.actor)
    with session_scope(rt.engine) as session:
        items = list_review_items(session, actor=user.actor, agency=agency, status="open")
        versions = list_submissions(session, user.actor, limit=30)
        bulletins = list_bulletins(session, user.actor, None)
        reminders = agency_reminders(session, agency)
        figures = agency_figures(session, rt, agency, period)
    outcome_of = {}
    if result is not None:
        for row in result.rows:
            outcome_of[row.indicator_code] = row
    return page(
        request,
        "portal.html",
        {
            "agency": agency,
            "agency_name": submission_desk(request).context().agency_names.get(agency, agency),
            "period": period,
            "periods": open_periods(rt),
            "period_label": period_label(period),
            "lines": lines,
            "states": FORM_STATES,
            "result": result,
            "outcome_of": outcome_of,
            "error": error,
            "items": items[:50],
            "open_count": len(items),
            "versions": versions,
            "bulletins": list(reversed(bulletins))[:12],
            "notices": _notices(rt, agency),
            "reminders": reminders,
            "figures": figures,
            "max_mb": rt.rules.ingest.max_file_bytes // (1024 * 1024),
        },
        user=user,
        status=status,
    )


@router.get("", response_class=HTMLResponse)
def portal_home(
    request: Request,
    user: PortalUser,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    """The period's form and everything the agency has sent and received."""
    rt = runtime(request)
    agency = submitting_agency(user.actor)
    chosen = _chosen(rt, period)
    return _portal(request, user, chosen, form_lines(submission_desk(request), agency, chosen))


def _answer(
    request: Request,
    user: PageUser,
    period: str,
    lines: list[FormLine],
    submit: Any,
) -> HTMLResponse:
    try:
        result = submit()
    except SubmissionError as exc:
        return _portal(request, user, period, lines, error=exc, result=None, status=exc.status)
    except PeriodLockedError as exc:
        locked = SubmissionError(409, "period_locked", str(exc))
        return _portal(request, user, period, lines, error=locked, status=409)
    return _portal(request, user, period, lines, result=result)


@router.post("/formulir", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def portal_form(request: Request, user: PortalUser) -> HTMLResponse:
    """The form's values, sent as a JSON submission of the period."""
    received_at = now_wib()
    rt = runtime(request)
    form = await request.form(max_fields=2000)
    agency = submitting_agency(user.actor)
    period = _chosen(rt, str(form.get("period") or ""))
    desk = submission_desk(request)
    lines = await run_in_threadpool(form_lines, desk, agency, period)
    for line in lines:
        for attr, key in (
            ("realisasi", "realisasi"),
            ("status", "status"),
            ("evidence", "bukti"),
            ("note", "keterangan"),
        ):
            value = form.get(f"{key}__{line.code}")
            setattr(line, attr, value[:4000] if isinstance(value, str) else "")
    body = form_json(agency, period, lines)
    name = f"formulir_portal_{agency}_{period}.json"
    if not any(line.realisasi.strip() or line.status.strip() for line in lines):
        error = SubmissionError(
            422, "empty_form", _("Fill in at least one line (a realisasi or a status).")
        )
        return _portal(request, user, period, lines, error=error, status=422)

    def submit() -> SubmissionResult:
        return desk.submit(user.actor, body, name, received_at=received_at)

    return await run_in_threadpool(_answer, request, user, period, lines, submit)


@router.post("/unggah", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def portal_upload(request: Request, user: PortalUser) -> HTMLResponse:
    """A filled template or any supported file."""
    from iku.web.api import read_submission

    received_at = now_wib()
    rt = runtime(request)
    agency = submitting_agency(user.actor)
    desk = submission_desk(request)
    form = await request.form(max_files=1, max_fields=20)
    try:
        period = _chosen(rt, str(form.get("period") or ""))
    except WebError:
        period = open_periods(rt)[0]
    lines = await run_in_threadpool(form_lines, desk, agency, period)
    try:
        data, name = await read_submission(request, rt.rules.ingest.max_file_bytes)
    except SubmissionError as exc:
        return _portal(request, user, period, lines, error=exc, status=exc.status)

    def submit() -> SubmissionResult:
        return desk.submit(user.actor, data, name, received_at=received_at)

    return await run_in_threadpool(_answer, request, user, period, lines, submit)


@router.get("/templat")
def portal_template(
    request: Request,
    user: PortalUser,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> FileResponse:
    """The pre-filled template of the agency and period."""
    from iku.ingest.template import spec_for_agency, write_template

    rt = runtime(request)
    agency = submitting_agency(user.actor)
    chosen = _chosen(rt, period)
    spec = spec_for_agency(submission_desk(request).context(), agency, chosen, now_wib())
    name = f"Realisasi_IKU_{agency}_{chosen}.xlsx"
    path = Path(rt.paths.output / "templates" / name)
    write_template(spec, path)
    return FileResponse(
        path,
        filename=name,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
