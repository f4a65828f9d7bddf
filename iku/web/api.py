"""The REST API under ``/api/v1`` (bearer tokens; the same scopes as the pages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from iku import audit
from iku.access import Action, Actor, narrow
from iku.accounts import (
    AccountError,
    SignInPolicy,
    agency_codes,
    authenticate,
    find_account,
    issue_token,
    list_accounts,
    prune_failures,
    prune_tokens,
    revoke_token,
)
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.operations import periods as period_ops
from iku.operations.achievements import achievement_rows
from iku.operations.review import decide_issue, issue_detail, list_review_items
from iku.operations.submissions import (
    SubmissionError,
    get_submission,
    list_submissions,
    submitting_agency,
)
from iku.periods import PeriodLockedError
from iku.web.deps import api_user, client_address, runtime, submission_desk
from iku.web.errors import WebError, not_found
from iku.web.views import (
    SEVERITIES,
    STATUSES,
    bulletin_file,
    detail_json,
    issue_json,
    list_bulletins,
    parse_period,
    parse_value,
    review_error,
    submission_file,
)
from quality.review import ReviewError

router = APIRouter(prefix="/api/v1")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Tanpa token yang sah"},
    403: {"description": "Di luar peran atau lingkup OPD akun"},
    404: {"description": "Tidak ada"},
    422: {"description": "Masukan tidak sah"},
}


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    agencies: list[str] = Field(description="Empty: every agency.")
    all_agencies: bool


class DecisionRequest(BaseModel):
    decision: Literal["accept", "reject"]
    note: str = Field(min_length=1, max_length=4000)
    value: str | float | None = Field(
        default=None, description='Corrected value, Indonesian format accepted ("85,24").'
    )
    confirm: bool = Field(
        default=False,
        description="The steward confirms a corrected value the plausibility checks doubt "
        "(a capaian above the verification level, far from the series' history).",
    )


class ApprovalRequest(BaseModel):
    agency_code: str | None = Field(
        default=None, max_length=40, description="Default: the agency head's own agency."
    )


class VerificationRequest(BaseModel):
    agency_code: str = Field(min_length=1, max_length=40)


class ReopenRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=period_ops.MAX_REASON_CHARS)


PERIOD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"description": "Periode dikunci, atau keadaannya tidak mengizinkan tindakan ini"},
}


class TokenRequest(BaseModel):
    username: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=120)
    days: int | None = Field(default=None, ge=1, le=3650)


@router.post("/token", response_model=TokenAnswer, responses={429: {"description": "Throttled"}})
def token(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenAnswer:
    """OAuth2 password flow: a short-lived bearer token for an account."""
    rt = runtime(request)
    policy = SignInPolicy.of(rt.settings)
    minutes = rt.settings.web_access_token_minutes
    with session_scope(rt.engine) as db:
        prune_failures(db, policy)
        prune_tokens(db)
        outcome = authenticate(
            db, username, password, address=client_address(request), policy=policy, channel="api"
        )
        issued = None
        if outcome.account is not None:
            issued, _row = issue_token(
                db, outcome.account, kind="access", lifetime=timedelta(minutes=minutes)
            )
    if outcome.locked_until is not None and issued is None:
        raise WebError(
            429,
            _(
                "Too many failed sign-ins for this account or address; try again in "
                "%(seconds)s seconds.",
                seconds=outcome.retry_after_seconds,
            ),
            headers={"Retry-After": str(outcome.retry_after_seconds)},
        )
    if issued is None:
        raise WebError(
            401,
            _("The username or password is wrong."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenAnswer(access_token=issued, expires_in=minutes * 60)


@router.get("/me", response_model=Me, responses=ERRORS)
def me(actor: Annotated[Actor, Depends(api_user())]) -> Me:
    """Who the token stands for: username, role and agencies."""
    return Me(
        username=actor.username,
        role=actor.role.value,
        agencies=sorted(actor.agencies),
        all_agencies=actor.all_agencies,
    )


@router.get("/review/issues", responses=ERRORS)
def review_issues(
    request: Request,
    actor: Annotated[Actor, Depends(api_user(Action.REVIEW_READ))],
    period: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[Literal["open", "accepted", "rejected", "resolved", "all"], Query()] = "open",
    severity: Annotated[Literal["blocking", "error", "warning"] | None, Query()] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """The review queue within the token's scope."""
    rt = runtime(request)
    chosen = parse_period(period)
    assert status == "all" or status in STATUSES
    assert severity is None or severity in SEVERITIES
    with session_scope(rt.engine) as db:
        items = list_review_items(
            db,
            actor=actor,
            period=chosen,
            agency=agency or None,
            status=None if status == "all" else status,
            severity=severity,
            rule=rule or None,
        )
    return [issue_json(i) for i in items]


@router.get("/review/issues/{issue_id}", responses=ERRORS)
def review_issue(
    request: Request,
    issue_id: int,
    actor: Annotated[Actor, Depends(api_user(Action.REVIEW_READ))],
) -> dict[str, Any]:
    """One item with its row as found and every decision on it."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        try:
            return detail_json(issue_detail(db, issue_id, actor=actor))
        except ReviewError:
            raise not_found() from None


@router.post(
    "/review/issues/{issue_id}/decision",
    responses={**ERRORS, 409: {"description": "Sudah diputuskan / tidak dapat diputuskan"}},
)
def review_decision(
    request: Request,
    issue_id: int,
    body: DecisionRequest,
    actor: Annotated[Actor, Depends(api_user(Action.REVIEW_DECIDE))],
) -> dict[str, Any]:
    """Accept (with an optional corrected value) or reject an item, as the token's account."""
    rt = runtime(request)
    value = float(body.value) if isinstance(body.value, int | float) else parse_value(body.value)
    try:
        decided = decide_issue(
            rt,
            issue_id,
            body.decision,
            actor=actor,
            note=body.note.strip(),
            value=value,
            confirm=body.confirm,
        )
    except ReviewError as exc:
        raise review_error(exc) from None
    return {**issue_json(decided.issue), "recomputed": list(decided.recomputed)}


@router.get("/achievements", responses=ERRORS)
def achievements(
    request: Request,
    actor: Annotated[Actor, Depends(api_user(Action.ACHIEVEMENT_READ))],
    period: Annotated[str, Query(max_length=7, description="YYYY-MM")],
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> list[dict[str, Any]]:
    """The period's achievement rows (IKU, agency, sector, province) within the scope."""
    rt = runtime(request)
    chosen = parse_period(period)
    assert chosen is not None
    scope = narrow(actor, Action.ACHIEVEMENT_READ, agency or None)
    with session_scope(rt.engine) as db:
        return achievement_rows(db, period=chosen, agencies=scope, rules=rt.rules)


@router.get("/bulletins", responses=ERRORS)
def bulletins(
    request: Request,
    actor: Annotated[Actor, Depends(api_user(Action.BULLETIN_READ))],
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> list[dict[str, Any]]:
    """The bulletins the token may read."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        return list_bulletins(db, actor, parse_period(period))


@router.get("/bulletins/{bulletin_id}/file", responses=ERRORS, response_class=FileResponse)
def bulletin_download(
    request: Request,
    bulletin_id: int,
    actor: Annotated[Actor, Depends(api_user(Action.BULLETIN_READ))],
    format: Annotated[Literal["pdf", "html"], Query()] = "pdf",
) -> FileResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        path, name = bulletin_file(db, bulletin_id, actor, rt.paths.output, format)
    return FileResponse(path, filename=name)


SUBMISSION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    200: {"description": "The same bytes were sent before: the existing submission"},
    409: {"description": "The period is locked"},
    413: {"description": "The file is over the size limit"},
    422: {"description": "The file was rejected (`code`: the rule, e.g. `agency_mismatch`)"},
}


def submission_error(exc: SubmissionError) -> JSONResponse:
    """A refused submission: the sentence, its stable code, and what was stored (if any)."""
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if exc.result is not None:
        body.update(
            {
                "id": exc.result.id,
                "status": exc.result.status,
                "received_at": exc.result.received_at.isoformat(),
            }
        )
    return JSONResponse(body, exc.status)


async def read_submission(request: Request, limit: int) -> tuple[bytes, str]:
    """The submitted bytes and their file name: a multipart ``file`` field, or a JSON body
    (the documented JSON format, read as ``kiriman.json``). At most ``limit`` bytes are read
    (413 beyond)."""
    shown_limit = f"{limit:,}".replace(",", ".")
    too_large = SubmissionError(
        413,
        "file_too_large",
        _("The file is over the size limit of %(limit)s bytes.", limit=shown_limit),
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise too_large
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise SubmissionError(
                422, "missing_file", _("Send the file in the multipart field named 'file'.")
            )
        data = await upload.read(limit + 1)
        name = upload.filename or "kiriman"
        await upload.close()
    elif kind in ("application/json", "text/json"):
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        data, name = b"".join(chunks), "kiriman.json"
    else:
        raise SubmissionError(
            422,
            "unsupported_media_type",
            _("Send a multipart/form-data upload (field 'file') or a JSON body."),
        )
    if len(data) > limit:
        raise too_large
    return data, name


@router.post("/submissions", status_code=201, responses=SUBMISSION_ERRORS)
async def submissions_create(
    request: Request, actor: Annotated[Actor, Depends(api_user(Action.SUBMIT))]
) -> JSONResponse:
    """Submit the caller's agency's data: a multipart ``file`` (template, .xlsx, .csv, .json)
    or a JSON body in the documented JSON format. The answer (201) carries the row outcomes:
    ``rows_accepted``, ``rows_held`` and ``issues`` (the held rows' messages). ``received_at``
    is the server's clock when the request arrived."""
    received_at = now_wib()
    rt = runtime(request)
    submitting_agency(actor)  # 403 before reading a byte
    desk = submission_desk(request)
    try:
        data, name = await read_submission(request, rt.rules.ingest.max_file_bytes)
        result = await run_in_threadpool(desk.submit, actor, data, name, received_at=received_at)
    except SubmissionError as exc:
        return submission_error(exc)
    except PeriodLockedError as exc:
        return JSONResponse({"detail": str(exc), "code": "period_locked"}, 409)
    return JSONResponse(result.as_json(), 200 if result.duplicate else 201)


@router.get("/submissions", responses=ERRORS)
def submissions_list(
    request: Request,
    actor: Annotated[Actor, Depends(api_user(Action.SUBMISSION_READ))],
    period: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None,
) -> list[dict[str, Any]]:
    """The submissions (every version) of the caller's agencies, latest first."""
    rt = runtime(request)
    chosen = parse_period(period)
    with session_scope(rt.engine) as db:
        return list_submissions(db, actor, period=chosen)


@router.get("/submissions/{submission_id}", responses=ERRORS)
def submissions_get(
    request: Request,
    submission_id: int,
    actor: Annotated[Actor, Depends(api_user(Action.SUBMISSION_READ))],
) -> dict[str, Any]:
    """One submission with its row outcomes and issues."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        found = get_submission(db, actor, submission_id)
    if found is None:
        raise not_found()
    return found.as_json()


@router.get("/submissions/{submission_id}/file", responses=ERRORS, response_class=FileResponse)
def submission_download(
    request: Request,
    submission_id: int,
    actor: Annotated[Actor, Depends(api_user(Action.SUBMISSION_FILE_READ))],
) -> FileResponse:
    """The archived file, unchanged, as the agency sent it."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        path, name = submission_file(db, submission_id, actor, rt.paths.archive)
    return FileResponse(path, filename=name)


@router.get("/audit", responses=ERRORS)
def audit_events(
    request: Request,
    actor: Annotated[Actor, Depends(api_user(Action.AUDIT_READ))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    by: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """The audit log, latest first."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        events = audit.list_events(db, actor=by, action=action, limit=limit, before_id=before_id)
    return [e.as_json() for e in events]


@router.get("/accounts", responses=ERRORS)
def accounts(
    request: Request, actor: Annotated[Actor, Depends(api_user(Action.ACCOUNT_MANAGE))]
) -> list[dict[str, Any]]:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        return [
            {
                "username": a.username,
                "name": a.display_name,
                "role": a.role,
                "agencies": agency_codes(a),
                "enabled": a.is_enabled,
            }
            for a in list_accounts(db)
        ]


@router.post("/tokens", status_code=201, responses=ERRORS)
def tokens_issue(
    request: Request,
    body: TokenRequest,
    actor: Annotated[Actor, Depends(api_user(Action.ACCOUNT_MANAGE))],
) -> dict[str, Any]:
    """Issue a long-lived API token for an account (the token is in this answer only)."""
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        account = find_account(db, body.username)
        if account is None:
            raise not_found()
        try:
            value, row = issue_token(
                db,
                account,
                kind="api",
                name=body.name,
                created_by=actor.username,
                lifetime=timedelta(days=body.days) if body.days else None,
            )
        except AccountError as exc:
            raise WebError(409, str(exc)) from None
        audit.record(
            db,
            actor,
            "token.issue",
            target=f"api_token:{row.id}",
            details={"account": account.username, "name": body.name, "days": body.days},
        )
        return {
            "id": row.id,
            "username": account.username,
            "name": row.name,
            "token": value,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        }


@router.delete("/tokens/{token_id}", status_code=204, responses=ERRORS)
def tokens_revoke(
    request: Request,
    token_id: int,
    actor: Annotated[Actor, Depends(api_user(Action.ACCOUNT_MANAGE))],
) -> None:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        try:
            revoke_token(db, token_id)
        except AccountError:
            raise not_found() from None
        audit.record(db, actor, "token.revoke", target=f"api_token:{token_id}")


# --- Periods: approval, verification, lock, reopening, publication ------------------------------


def _period(period: str) -> str:
    chosen = parse_period(period)
    if chosen is None:
        raise not_found()
    return chosen


def _period_answer(done: period_ops.PeriodAction) -> dict[str, Any]:
    return {
        **done.status.as_json(),
        "event": {
            "id": done.event_id,
            "action": done.action,
            "agency_code": done.agency_code,
            "actor": done.actor,
        },
    }


@router.get("/periods/{period}", responses=ERRORS)
def period_status(
    request: Request,
    period: str,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_READ))],
) -> dict[str, Any]:
    """The period's lock and publication, and the approval status of each agency's month
    within the token's scope."""
    rt = runtime(request)
    return period_ops.status(rt, _period(period), actor=actor).as_json()


@router.post("/periods/{period}/approval", responses=PERIOD_ERRORS)
def period_approval(
    request: Request,
    period: str,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_APPROVE))],
    body: ApprovalRequest | None = None,
) -> dict[str, Any]:
    """The agency head approves its own agency's month (recorded under the head's account)."""
    rt = runtime(request)
    code = (body.agency_code if body is not None else None) or next(
        iter(sorted(actor.agencies)), ""
    )
    done = period_ops.approve(rt, _period(period), code, actor=actor.at(client_address(request)))
    return _period_answer(done)


@router.post("/periods/{period}/verification", responses=PERIOD_ERRORS)
def period_verification(
    request: Request,
    period: str,
    body: VerificationRequest,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_VERIFY))],
) -> dict[str, Any]:
    """The bureau verifies an agency's approved month."""
    rt = runtime(request)
    done = period_ops.verify(
        rt, _period(period), body.agency_code, actor=actor.at(client_address(request))
    )
    return _period_answer(done)


@router.post("/periods/{period}/lock", responses=PERIOD_ERRORS)
def period_lock(
    request: Request,
    period: str,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_MANAGE))],
) -> dict[str, Any]:
    """The bureau locks a computed period: its figures are frozen; submissions and decisions
    are refused (409) until it is reopened."""
    rt = runtime(request)
    done = period_ops.lock(rt, _period(period), actor=actor.at(client_address(request)))
    return _period_answer(done)


@router.post("/periods/{period}/reopen", responses=PERIOD_ERRORS)
def period_reopen(
    request: Request,
    period: str,
    body: ReopenRequest,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_MANAGE))],
) -> dict[str, Any]:
    """The bureau reopens a locked period with a reason (audited); it is unpublished."""
    rt = runtime(request)
    done = period_ops.reopen(
        rt, _period(period), actor=actor.at(client_address(request)), reason=body.reason
    )
    return _period_answer(done)


@router.post("/periods/{period}/publish", responses=PERIOD_ERRORS)
def period_publish(
    request: Request,
    period: str,
    actor: Annotated[Actor, Depends(api_user(Action.PERIOD_MANAGE))],
) -> dict[str, Any]:
    """The bureau publishes a locked period on the public pages (409 unless locked)."""
    rt = runtime(request)
    done = period_ops.publish(rt, _period(period), actor=actor.at(client_address(request)))
    return _period_answer(done)
