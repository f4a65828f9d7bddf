"""`iku validate` and `iku review ...`: validation of a period and the stewards' queue."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

import typer

from iku.cli.common import UserError, console, require_agency, require_schema, runtime
from iku.i18n import N_, _

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_REVIEW: Final = N_("The data stewards' review queue (the issues validation found).")
HELP_VALIDATE: Final = N_(
    "Validate the period's received submissions, then route their rows to realisasi or to "
    "the review queue."
)
HELP_PERIOD: Final = N_("The period, YYYY-MM.")
HELP_AGENCY_ONLY: Final = N_("Only this agency's files (its code, for example DINKES).")
HELP_JSON: Final = N_("JSON output for machines.")
HELP_LIST: Final = N_("List the issues in the queue.")
HELP_AGENCY: Final = N_("The agency code, for example DINKES.")
HELP_STATUS: Final = N_("The issues' status (all: every status).")
HELP_SHOW: Final = N_("Show one issue: the row as found, its rule, and every decision.")
HELP_ISSUE: Final = N_("The issue number (see `iku review list`).")
HELP_ACCEPT: Final = N_(
    "Accept (override): the row enters realisasi; the decision is kept for audit."
)
HELP_REJECT: Final = N_("Reject: the row's value is not used; the decision is kept for audit.")
HELP_BY: Final = N_("The username of the deciding account (a data steward).")
HELP_NOTE: Final = N_("The reason.")
HELP_VALUE: Final = N_("The correct value (Indonesian format, for example 85,24).")
HELP_CONFIRM: Final = N_("Confirm a corrected value that the plausibility check doubts.")
MSG_BAD_VALUE: Final = N_(
    "--value '%(text)s' is not a clear number; write for example 85,24 or 1234."
)
MSG_NOTHING_TO_VALIDATE: Final = N_(
    "There are no submissions of period %(period)s%(agency)s in the database; take the files "
    "in first with `iku ingest` (or check the period)."
)
MSG_ALREADY_VALIDATED: Final = N_(
    "All %(count)s submissions of period %(period)s%(agency)s are already validated; nothing "
    "is new. The results: `iku review list --period %(period)s`."
)
MSG_FOR_AGENCY: Final = N_(" for %(agency)s")
TITLE_VALIDATION: Final = N_("Validation %(period)s")
COLUMNS_VALIDATION: Final = (
    N_("agency"),
    N_("file"),
    N_("status"),
    N_("rows"),
    N_("accepted"),
    N_("held"),
    N_("warnings"),
)
MSG_VALIDATION: Final = N_(
    "%(rows_in)s rows in = %(accepted)s accepted + %(quarantined)s held; %(warnings)s "
    "warnings; %(resolved)s issues resolved by a resubmission."
)
TITLE_ISSUES: Final = N_("%(count)s issues")
COLUMNS_ISSUES: Final = (
    N_("no"),
    N_("severity"),
    N_("agency"),
    N_("period"),
    N_("file"),
    N_("row"),
    N_("IKU"),
    N_("rule"),
    N_("observed"),
)
MSG_ISSUE_HEAD: Final = N_("[bold]Issue #%(id)s[/] (%(status)s, %(severity)s, rule: %(rule)s)")
MSG_ISSUE_AGENCY: Final = N_("Agency: %(code)s %(name)s   Period: %(period)s")
MSG_ISSUE_FILE: Final = N_("File: %(file)s (submission #%(submission)s), row %(row)s")
MSG_ISSUE_IKU: Final = N_("IKU: %(code)s   Column: %(column)s")
MSG_ISSUE_VALUES: Final = N_("Observed: %(observed)s\nExpected: %(expected)s")
MSG_ISSUE_MESSAGE: Final = N_("Message: %(message)s")
MSG_ISSUE_ROW: Final = N_(
    "Row as found: realisasi '%(raw)s', status %(state)s, evidence %(evidence)s, note %(note)s"
)
MSG_DECISION: Final = N_("Decision #%(id)s: %(decision)s by %(by)s at %(at)s WIB: %(note)s")
MSG_DECISION_VALUE: Final = N_(" (value %(value)s)")
STATUS_WORDS: Final = {
    "open": N_("open"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "resolved": N_("auto-resolved"),
}
DECISION_WORDS: Final = {
    "accept": N_("accept"),
    "reject": N_("reject"),
    "auto_resolve": N_("auto-resolved"),
}


def _words(words: dict[str, str], code: str) -> str:
    word = words.get(code)
    return _(word) if word else code


#: The statuses ``iku review list --status`` takes (the database's, and ``all``).
IssueStatus = Literal["open", "accepted", "rejected", "resolved", "all"]

review_app = typer.Typer(help=HELP_REVIEW, no_args_is_help=True)


def _period(value: str | None) -> str | None:
    if value is None:
        return None
    from iku.calendar import Period

    return str(Period.parse(value))


def _value(text: str | None) -> float | None:
    if text is None:
        return None
    from iku.numbers import read_number

    reading = read_number(text)
    if reading.value is None:
        raise UserError(_(MSG_BAD_VALUE, text=text))
    return reading.value


def _data(value: object) -> Any:
    """Agency-controlled text (a file name, a cell as found, a message quoting it) as a table
    cell: ``[/link]`` in a cell would otherwise end a markup tag and crash the listing, and
    ``[red]97,5`` would show as ``97,5``."""
    from rich.text import Text

    return Text("-" if value is None else str(value))


def _e(value: object) -> str:
    """Agency-controlled text inside a printed message: escaped, shown as written."""
    from rich.markup import escape

    return escape("-" if value is None else str(value))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.command("validate", help=HELP_VALIDATE)(validate)


def _submissions(period: str, agency: str | None) -> tuple[int, int]:
    """How many submissions the period has (of ``agency``), and how many wait to be validated."""
    from sqlalchemy import case, func, select

    from iku import models as m

    staged = func.sum(case((m.Submission.status == "staged", 1), else_=0))
    query = select(func.count(), staged).select_from(m.Submission)
    query = query.where(m.Submission.period == period)
    if agency is not None:
        query = query.join(m.Agency, m.Agency.id == m.Submission.agency_id).where(
            m.Agency.code == agency
        )
    with runtime().engine.connect() as connection:
        total, waiting = connection.execute(query).one()
    return int(total or 0), int(waiting or 0)


def validate(
    period: Annotated[str, typer.Option(help=HELP_PERIOD)],
    agency: Annotated[str | None, typer.Option(help=HELP_AGENCY_ONLY)] = None,
    json_output: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """Validate the period's staged submissions and route rows to realisation or the queue."""
    period_text = _period(period)
    assert period_text is not None
    require_schema()
    code = require_agency(agency)
    from iku.operations.validate import summary
    from iku.operations.validate import validate as validate_staged

    total, waiting = _submissions(period_text, code)
    where = _(MSG_FOR_AGENCY, agency=code) if code else ""
    if total == 0:
        raise UserError(_(MSG_NOTHING_TO_VALIDATE, period=period_text, agency=where))
    if waiting == 0 and not json_output:
        console.print(_(MSG_ALREADY_VALIDATED, count=total, period=period_text, agency=where))
        return
    outcome = validate_staged(runtime(), period_text, code)
    routing = outcome.routing
    if json_output:
        print(json.dumps(summary(outcome), indent=2))
        return
    from rich.table import Table

    table = Table(title=_(TITLE_VALIDATION, period=period_text))
    for column in COLUMNS_VALIDATION:
        table.add_column(_(column))
    for o in routing.outcomes:
        table.add_row(
            _data(o.agency_code),
            _data(o.file_name),
            o.status,
            str(o.rows_in),
            str(o.accepted),
            str(o.quarantined),
            str(o.warnings),
        )
    console.print(table)
    console.print(
        _(
            MSG_VALIDATION,
            rows_in=routing.rows_in,
            accepted=routing.accepted,
            quarantined=routing.quarantined,
            warnings=routing.warnings,
            resolved=routing.auto_resolved,
        )
    )


@review_app.command("list", help=HELP_LIST)
def review_list(
    period: Annotated[str | None, typer.Option(help=HELP_PERIOD)] = None,
    agency: Annotated[str | None, typer.Option(help=HELP_AGENCY)] = None,
    status: Annotated[IssueStatus, typer.Option(help=HELP_STATUS)] = "open",
    json_output: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    """List issues in the queue."""
    from iku.db import session_scope
    from quality.review import list_issues

    chosen_period = _period(period)
    require_schema()
    code = require_agency(agency)
    with session_scope(runtime().engine) as session:
        issues = list_issues(
            session,
            period=chosen_period,
            agency=code,
            status=None if status == "all" else status,
        )
    if json_output:
        print(
            json.dumps(
                [
                    {
                        **{k: v for k, v in i.__dict__.items() if not k.endswith("_at")},
                        "created_at": i.created_at.isoformat(),
                        "decided_at": i.decided_at.isoformat() if i.decided_at else None,
                    }
                    for i in issues
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from rich.table import Table

    from iku.flags import rule_title, severity_title

    table = Table(title=_(TITLE_ISSUES, count=len(issues)))
    for column in COLUMNS_ISSUES:
        table.add_column(_(column))
    for i in issues:
        table.add_row(
            str(i.id),
            severity_title(i.severity),
            _data(i.agency_code),
            _data(i.period),
            _data(i.file_name),
            str(i.source_row or "-"),
            _data(i.indicator_code),
            rule_title(i.rule),
            _data(i.observed),
        )
    console.print(table)


@review_app.command("show", help=HELP_SHOW)
def review_show(issue_id: Annotated[int, typer.Argument(help=HELP_ISSUE)]) -> None:
    """Show one issue: the row as found, the rule, and every decision taken on it."""
    from iku.db import session_scope
    from iku.flags import rule_title, severity_title
    from quality.review import get_issue

    require_schema()
    with session_scope(runtime().engine) as session:
        detail = get_issue(session, issue_id)
        i = detail.issue
        console.print(
            _(
                MSG_ISSUE_HEAD,
                id=i.id,
                status=_words(STATUS_WORDS, i.status),
                severity=severity_title(i.severity),
                rule=rule_title(i.rule),
            )
        )
        console.print(
            _(
                MSG_ISSUE_AGENCY,
                code=_e(i.agency_code),
                name=_e(i.agency_name),
                period=_e(i.period),
            ),
            highlight=False,
        )
        console.print(
            _(MSG_ISSUE_FILE, file=_e(i.file_name), submission=i.submission_id, row=i.source_row),
            highlight=False,
        )
        console.print(
            _(MSG_ISSUE_IKU, code=_e(i.indicator_code), column=_e(i.column)), highlight=False
        )
        console.print(
            _(MSG_ISSUE_VALUES, observed=_e(i.observed), expected=_e(i.expected)),
            highlight=False,
        )
        console.print(_(MSG_ISSUE_MESSAGE, message=_e(i.message)), highlight=False)
        if detail.staged is not None:
            s = detail.staged
            console.print(
                _(
                    MSG_ISSUE_ROW,
                    raw=_e(s.raw_value),
                    state=_e(s.state),
                    evidence=_e(s.evidence_url),
                    note=_e(s.note),
                ),
                highlight=False,
            )
        for d in detail.decisions:
            console.print(
                _(
                    MSG_DECISION,
                    id=d.id,
                    decision=_words(DECISION_WORDS, d.decision),
                    by=_e(d.decided_by),
                    at=d.decided_at.strftime("%Y-%m-%d %H:%M"),
                    note=_e(d.note),
                )
                + (_(MSG_DECISION_VALUE, value=d.value) if d.value is not None else ""),
                highlight=False,
            )


def _decide(
    issue_id: int, decision: str, by: str, note: str, value: float | None, confirm: bool = False
) -> None:
    """Decide through the same operation as the web application, as the named account."""
    from iku.access import AccessDenied
    from iku.accounts import AccountError, named_actor
    from iku.db import session_scope
    from iku.operations.review import decide_issue
    from quality.review import ReviewError

    require_schema()
    rt = runtime()
    try:
        with session_scope(rt.engine) as session:
            actor = named_actor(session, by, address=cli_address())
        decided = decide_issue(
            rt, issue_id, decision, actor=actor, note=note, value=value, confirm=confirm
        )
    except AccountError as exc:
        raise UserError(str(exc)) from None
    except AccessDenied:
        raise UserError(
            _(
                "The account '%(name)s' (role %(role)s) may not decide this item; a steward "
                "whose agencies include it must decide.",
                name=actor.username,
                role=actor.role.value,
            )
        ) from None
    except ReviewError as exc:
        if exc.reason == "implausible":
            # The operation's sentence says "confirm"; on the command line that is a flag.
            raise UserError(f"{exc} (--confirm)") from None
        raise UserError(str(exc)) from None
    message = (
        _(
            "Item #%(id)s accepted by %(name)s (decision #%(decision)s).",
            id=issue_id,
            name=decided.decided_by,
            decision=decided.decision_id,
        )
        if decision == "accept"
        else _(
            "Item #%(id)s rejected by %(name)s (decision #%(decision)s).",
            id=issue_id,
            name=decided.decided_by,
            decision=decided.decision_id,
        )
    )
    console.print(_e(message), highlight=False)
    if decided.recomputed:
        console.print(_("Figures recomputed: %(periods)s.", periods=", ".join(decided.recomputed)))


def cli_address() -> str:
    """Where a CLI action comes from, for the audit log: the operator's login and host."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except OSError:
        user = "?"
    return f"cli:{user}@{socket.gethostname()}"[:120]


@review_app.command("accept", help=HELP_ACCEPT)
def review_accept(
    issue_id: Annotated[int, typer.Argument(help=HELP_ISSUE)],
    by: Annotated[str, typer.Option(help=HELP_BY)],
    note: Annotated[str, typer.Option(help=HELP_NOTE)],
    value: Annotated[str | None, typer.Option(help=HELP_VALUE)] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help=HELP_CONFIRM)] = False,
) -> None:
    """Accept (override): the row enters realisation, the period's figures are recomputed; the
    decision is kept for audit under the account's username."""
    _decide(issue_id, "accept", by, note, _value(value), confirm)


@review_app.command("reject", help=HELP_REJECT)
def review_reject(
    issue_id: Annotated[int, typer.Argument(help=HELP_ISSUE)],
    by: Annotated[str, typer.Option(help=HELP_BY)],
    note: Annotated[str, typer.Option(help=HELP_NOTE)],
) -> None:
    """Reject: the row's value is not used, the period's figures are recomputed; the decision
    is kept for audit under the account's username."""
    _decide(issue_id, "reject", by, note, None)
