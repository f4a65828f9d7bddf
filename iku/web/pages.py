"""The pages: sign-in, the stewards' console (queue, item, decision), audit log, accounts,
and scoped downloads of archived files and bulletins. Thin: access, an operation, a template."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from iku import audit
from iku import models as m
from iku.access import ROLE_ACTIONS, Action, Actor, Role, can, visible_agencies
from iku.accounts import (
    AccountError,
    SignInPolicy,
    agency_codes,
    authenticate,
    create_account,
    disable_account,
    list_accounts,
    prune_failures,
)
from iku.db import session_scope
from iku.i18n import _
from iku.operations.review import decide_issue, issue_detail, list_review_items
from iku.periods import PeriodStateError, is_locked
from iku.web import sessions
from iku.web.deps import (
    CsrfChecked,
    PageUser,
    browser_session,
    client_address,
    page_user,
    runtime,
)
from iku.web.errors import WebError, not_found
from iku.web.templating import render
from iku.web.views import (
    SEVERITIES,
    STATUSES,
    agency_bulletin,
    bulletin_file,
    parse_period,
    parse_value,
    review_error,
    rule_title,
    severity_label,
    status_label,
    submission_file,
)
from quality.review import ReviewError

log = logging.getLogger("iku.web")
router = APIRouter(include_in_schema=False)

AGE_CHOICES = (0, 3, 7, 14, 30)


def _home(actor: Actor) -> str:
    if actor.role is Role.ADMIN:
        return "/akun"
    if actor.role is Role.LEADER:
        return "/dasbor"
    if actor.role is Role.AGENCY:
        return "/portal"
    return "/antrean"


def _dashboard_link(actor: Actor) -> str | None:
    """The nav's dashboard link: the province, or an agency head's own agency (None: no
    dashboard for the role)."""
    if actor.role is Role.AGENCY_HEAD:
        own = sorted(actor.agencies)
        return (
            f"/dasbor/opd/{own[0]}" if own and can(actor, Action.DASHBOARD_READ, own[0]) else None
        )
    return "/dasbor" if can(actor, Action.DASHBOARD_READ) else None


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _nav(actor: Actor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    return {
        "dashboard": _dashboard_link(actor),
        "portal": can(actor, Action.SUBMIT, next(iter(actor.agencies), None)),
        "archive": Action.BULLETIN_READ in ROLE_ACTIONS[actor.role],
        "review": can(actor, Action.REVIEW_READ, next(iter(actor.agencies), None)),
        "audit": can(actor, Action.AUDIT_READ),
        "periods": Action.PERIOD_READ in ROLE_ACTIONS[actor.role],
        "accounts": can(actor, Action.ACCOUNT_MANAGE),
    }


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: PageUser | None = None,
    status: int = 200,
    cookie: sessions.BrowserSession | None = None,
) -> HTMLResponse:
    actor = user.actor if user is not None else None
    found = user.session if user is not None else cookie
    html = render(
        template,
        {
            "actor": actor,
            "nav": _nav(actor),
            "csrf_token": found.csrf_token if found is not None else "",
            "path": request.url.path,
            **context,
        },
    )
    response = HTMLResponse(html, status)
    if found is not None and found.cookie_value:
        set_session_cookie(request, response, found.cookie_value)
    return response


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    rt = runtime(request)
    response.set_cookie(
        sessions.cookie_name(rt.settings),
        value,
        max_age=rt.settings.web_session_max_hours * 3600,
        path="/",
        secure=rt.settings.web_secure_cookies,
        httponly=True,
        samesite="lax",
    )


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


# --- Sign-in and sign-out ----------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    found = browser_session(request)
    if found is None or found.actor is None:
        return _redirect("/masuk")
    return _redirect(_home(found.actor))


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _sign_in_page(
    request: Request,
    *,
    next_path: str | None,
    message: str | None = None,
    notice: str | None = None,
    username: str = "",
    status: int = 200,
) -> HTMLResponse:
    rt = runtime(request)
    found = browser_session(request)
    if found is None:
        with session_scope(rt.engine) as db:
            found = sessions.create(db, rt.settings, account=None, address=client_address(request))
    return page(
        request,
        "sign_in.html",
        {
            "next": next_path or "",
            "message": message,
            "notice": notice,
            "username": username,
            "oidc_label": rt.settings.oidc_label if rt.settings.oidc_issuer else None,
        },
        status=status,
        cookie=found,
    )


@router.get("/masuk")
def sign_in_form(
    request: Request,
    next: Annotated[str | None, Query()] = None,
    expired: Annotated[str | None, Query()] = None,
    out: Annotated[str | None, Query()] = None,
) -> Response:
    found = browser_session(request)
    if found is not None and found.actor is not None:
        return _redirect(_safe_next(next) or _home(found.actor))
    notice = None
    if expired:
        notice = _("Your session has ended. Sign in again to continue.")
    elif out:
        notice = _("You have signed out.")
    return _sign_in_page(request, next_path=_safe_next(next), notice=notice)


def _locked_sentence(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _(
        "Too many failed sign-ins. For your security, sign-in is locked: try again in "
        "%(minutes)s minute(s), or ask the administrator to check your account.",
        minutes=minutes,
    )


@router.post("/masuk", dependencies=[CsrfChecked])
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    rt = runtime(request)
    address = client_address(request)
    policy = SignInPolicy.of(rt.settings)
    anonymous = browser_session(request)
    assert anonymous is not None  # csrf_protect refused a request without a session
    with session_scope(rt.engine) as db:
        prune_failures(db, policy)
        outcome = authenticate(
            db, username, password, address=address, policy=policy, channel="web"
        )
        if outcome.account is not None:
            account = outcome.account
            sessions.prune(db, rt.settings)
            fresh = sessions.create(
                db, rt.settings, account=account, address=address, replaces=anonymous.key
            )
            actor = fresh.actor
            assert actor is not None
            audit.record(db, actor, "session.sign_in", target=f"account:{account.username}")
            language = account.language
    if outcome.account is None:
        if outcome.locked_until is not None:
            return _sign_in_page(
                request,
                next_path=_safe_next(next),
                message=_locked_sentence(outcome.retry_after_seconds),
                username=username,
                status=429,
            )
        return _sign_in_page(
            request,
            next_path=_safe_next(next),
            message=_(
                "The username or password is wrong. Check them (mind the caps lock) and try again."
            ),
            username=username,
            status=401,
        )
    assert actor is not None and fresh.cookie_value is not None
    response = _redirect(_safe_next(next) or _home(actor))
    set_session_cookie(request, response, fresh.cookie_value)
    if language:
        response.set_cookie("iku_lang", language, max_age=31536000, samesite="lax")
    return response


@router.post("/keluar", dependencies=[CsrfChecked])
def sign_out(request: Request) -> Response:
    rt = runtime(request)
    found = browser_session(request)
    if found is not None:
        with session_scope(rt.engine) as db:
            if found.actor is not None:
                audit.record(db, found.actor.at(client_address(request)), "session.sign_out")
            sessions.end(db, found.key)
    response = _redirect("/masuk?out=1")
    response.delete_cookie(
        sessions.cookie_name(rt.settings),
        path="/",
        secure=rt.settings.web_secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


# --- The stewards' console ---------------------------------------------------------------------


def _queue_filters(db: Any, actor: Actor) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """The choices of the queue's filters within the actor's scope: periods, agencies, rules."""
    scope = visible_agencies(actor, Action.REVIEW_READ)
    agencies_q = select(m.Agency.code, m.Agency.name).order_by(m.Agency.code)
    if scope is not None:
        agencies_q = agencies_q.where(m.Agency.code.in_(sorted(scope)))
    agencies = [(c, n) for c, n in db.execute(agencies_q).all()]
    base = (
        select(m.Submission.period, m.ValidationIssue.rule)
        .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
    )
    if scope is not None:
        base = base.where(m.Agency.code.in_(sorted(scope)))
    pairs = db.execute(base.distinct()).all()
    periods = sorted({p for p, _r in pairs if p}, reverse=True)
    rules = sorted({r for _p, r in pairs})
    return periods, agencies, rules


@router.get("/antrean")
def queue(
    request: Request,
    user: Annotated[PageUser, Depends(page_user(Action.REVIEW_READ))],
    period: Annotated[str | None, Query(max_length=7)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[str, Query(max_length=16)] = "open",
    age: Annotated[int, Query(ge=0, le=3650)] = 0,
) -> HTMLResponse:
    rt = runtime(request)
    chosen_period = parse_period(period)
    if severity and severity not in SEVERITIES:
        raise WebError(422, _("Choose a severity from the list."))
    if status != "all" and status not in STATUSES:
        raise WebError(422, _("Choose a status from the list."))
    with session_scope(rt.engine) as db:
        items = list_review_items(
            db,
            actor=user.actor,
            period=chosen_period,
            agency=agency or None,
            status=None if status == "all" else status,
            severity=severity or None,
            rule=rule or None,
            min_age_days=age or None,
        )
        periods, agencies, rules = _queue_filters(db, user.actor)
        open_count = len(list_review_items(db, actor=user.actor))
    rows = [
        {
            "id": i.id,
            "agency_code": i.agency_code,
            "agency_name": i.agency_name,
            "period": i.period or "–",
            "indicator": i.indicator_code or "–",
            "rule": rule_title(i.rule),
            "severity": i.severity,
            "severity_label": severity_label(i.severity),
            "status_label": status_label(i.status),
            "row": i.source_row,
            "age": i.age_days(),
            "message": i.message,
        }
        for i in items
    ]
    filtered = any([period, agency, rule, severity, status != "open", age])
    return page(
        request,
        "queue.html",
        {
            "rows": rows,
            "open_count": open_count,
            "filtered": filtered,
            "filters": {
                "period": chosen_period or "",
                "agency": agency or "",
                "rule": rule or "",
                "severity": severity or "",
                "status": status,
                "age": age,
            },
            "choices": {
                "periods": periods,
                "agencies": agencies,
                "rules": [(r, rule_title(r)) for r in rules],
                "severities": [(s, severity_label(s)) for s in SEVERITIES],
                "statuses": [(s, status_label(s)) for s in STATUSES],
                "ages": AGE_CHOICES,
            },
        },
        user=user,
    )


def _item_context(db: Any, actor: Actor, issue_id: int) -> dict[str, Any]:
    try:
        detail = issue_detail(db, issue_id, actor=actor)
    except ReviewError:
        raise not_found() from None
    issue = detail.issue
    bulletin = agency_bulletin(db, issue.agency_code, issue.period)
    staged = detail.staged
    evidence = staged.evidence_url if staged is not None else None
    locked = issue.period is not None and is_locked(db, issue.period)
    return {
        "issue": issue,
        "rule_title": rule_title(issue.rule),
        "severity_label": severity_label(issue.severity),
        "status_label": status_label(issue.status),
        "staged": staged,
        "evidence_link": evidence
        if evidence and evidence.lower().startswith(("https://", "http://"))
        else None,
        "decisions": detail.decisions,
        "file_link": f"/berkas/{issue.submission_id}"
        if can(actor, Action.SUBMISSION_FILE_READ, issue.agency_code)
        else None,
        "bulletin_link": f"/buletin/{bulletin.id}"
        if bulletin is not None
        and bulletin.pdf_path
        and can(actor, Action.BULLETIN_READ, issue.agency_code)
        else None,
        "can_decide": issue.status == "open"
        and not locked
        and can(actor, Action.REVIEW_DECIDE, issue.agency_code),
        "period_locked": locked,
        "can_accept": issue.severity != "blocking",
    }


@router.get("/antrean/{issue_id}")
def item(
    request: Request,
    issue_id: int,
    user: Annotated[PageUser, Depends(page_user(Action.REVIEW_READ))],
    decided: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        context = _item_context(db, user.actor, issue_id)
        open_count = len(list_review_items(db, actor=user.actor))
    notice = None
    if decided and context["issue"].status != "open":
        notice = _(
            "Decision recorded. The queue and the figures of %(period)s are up to date.",
            period=context["issue"].period or "-",
        )
    return page(
        request,
        "item.html",
        {**context, "open_count": open_count, "notice": notice, "error": None, "form": {}},
        user=user,
    )


@router.post("/antrean/{issue_id}/keputusan", dependencies=[CsrfChecked])
def decide(
    request: Request,
    issue_id: int,
    user: Annotated[PageUser, Depends(page_user(Action.REVIEW_DECIDE))],
    decision: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    value: Annotated[str, Form(max_length=64)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    rt = runtime(request)
    actor = user.actor.at(client_address(request))
    kind = {"accept": "accept", "accept_value": "accept", "reject": "reject"}.get(decision)
    try:
        if kind is None:
            raise WebError(
                422, _("Choose a decision: accept, accept with a corrected value, or reject.")
            )
        corrected = parse_value(value) if decision == "accept_value" else None
        if decision == "accept_value" and corrected is None:
            raise WebError(422, _("Enter the corrected value (for example 85,24)."))
        decide_issue(
            rt,
            issue_id,
            kind,
            actor=actor,
            note=note.strip(),
            value=corrected,
            confirm=confirm == "ya",
        )
    except ReviewError as exc:
        error = review_error(exc)
        if error.status == 404:
            raise error from None
        return _item_with_error(request, user, issue_id, error, decision, note, value)
    except WebError as error:
        return _item_with_error(request, user, issue_id, error, decision, note, value)
    except PeriodStateError as exc:  # a locked period takes no decisions
        locked = WebError(409, str(exc))
        return _item_with_error(request, user, issue_id, locked, decision, note, value)
    return _redirect(f"/antrean/{issue_id}?decided=1")


def _item_with_error(
    request: Request,
    user: PageUser,
    issue_id: int,
    error: WebError,
    decision: str,
    note: str,
    value: str,
) -> HTMLResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        context = _item_context(db, user.actor, issue_id)
        open_count = len(list_review_items(db, actor=user.actor))
    return page(
        request,
        "item.html",
        {
            **context,
            "open_count": open_count,
            "notice": None,
            "error": error.detail,
            "form": {"decision": decision, "note": note, "value": value},
        },
        user=user,
        status=error.status,
    )


# --- Downloads (scoped) ------------------------------------------------------------------------


@router.get("/berkas/{submission_id}")
def archived_file(
    request: Request,
    submission_id: int,
    user: Annotated[PageUser, Depends(page_user(Action.SUBMISSION_FILE_READ))],
) -> FileResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        path, name = submission_file(db, submission_id, user.actor, rt.paths.archive)
    return FileResponse(path, filename=name, content_disposition_type="attachment")


@router.get("/buletin/{bulletin_id}")
def bulletin(
    request: Request,
    bulletin_id: int,
    user: Annotated[PageUser, Depends(page_user(Action.BULLETIN_READ))],
) -> FileResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        path, name = bulletin_file(db, bulletin_id, user.actor, rt.paths.output)
    return FileResponse(path, filename=name, content_disposition_type="inline")


# --- Audit log and accounts ----------------------------------------------------------------------


@router.get("/audit")
def audit_page(
    request: Request,
    user: Annotated[PageUser, Depends(page_user(Action.AUDIT_READ))],
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        events = audit.list_events(db, limit=100, before_id=before)
    older = events[-1].id if len(events) == 100 else None
    return page(request, "audit.html", {"events": events, "older": older}, user=user)


def _accounts_page(
    request: Request,
    user: PageUser,
    *,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rt = runtime(request)
    with session_scope(rt.engine) as db:
        accounts = [
            {
                "username": a.username,
                "name": a.display_name,
                "role": a.role,
                "agencies": agency_codes(a),
                "enabled": a.is_enabled,
                "last_sign_in_at": a.last_sign_in_at,
            }
            for a in list_accounts(db)
        ]
    return page(
        request,
        "accounts.html",
        {
            "accounts": accounts,
            "roles": [r.value for r in Role],
            "message": message,
            "error": error,
            "form": form or {},
        },
        user=user,
        status=status,
    )


@router.get("/akun")
def accounts(
    request: Request, user: Annotated[PageUser, Depends(page_user(Action.ACCOUNT_MANAGE))]
) -> HTMLResponse:
    return _accounts_page(request, user)


@router.post("/akun", dependencies=[CsrfChecked])
def account_create(
    request: Request,
    user: Annotated[PageUser, Depends(page_user(Action.ACCOUNT_MANAGE))],
    username: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    agencies: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    rt = runtime(request)
    form = {"username": username, "name": name, "role": role, "agencies": agencies}
    if password != password_again:
        return _accounts_page(
            request,
            user,
            error=_("The two passwords differ; type the same password twice."),
            form=form,
            status=422,
        )
    codes = [c for c in agencies.replace(";", ",").replace(" ", ",").split(",") if c.strip()]
    actor = user.actor.at(client_address(request))
    try:
        with session_scope(rt.engine) as db:
            account = create_account(
                db, username, role=role, password=password, agencies=codes, display_name=name
            )
            audit.record(
                db,
                actor,
                "account.create",
                target=f"account:{account.username}",
                details={"role": account.role, "agencies": sorted(c.upper() for c in codes)},
            )
            created = account.username
    except AccountError as exc:
        return _accounts_page(request, user, error=str(exc), form=form, status=422)
    return _accounts_page(request, user, message=_("Account %(name)s created.", name=created))


@router.post("/akun/{username}/nonaktifkan", dependencies=[CsrfChecked])
def account_disable(
    request: Request,
    username: str,
    user: Annotated[PageUser, Depends(page_user(Action.ACCOUNT_MANAGE))],
) -> HTMLResponse:
    rt = runtime(request)
    if username == user.actor.username:
        return _accounts_page(
            request, user, error=_("You cannot disable your own account."), status=409
        )
    try:
        with session_scope(rt.engine) as db:
            account = disable_account(db, username)
            audit.record(
                db,
                user.actor.at(client_address(request)),
                "account.disable",
                target=f"account:{account.username}",
            )
    except AccountError:
        raise not_found() from None
    return _accounts_page(request, user, message=_("Account %(name)s disabled.", name=username))
