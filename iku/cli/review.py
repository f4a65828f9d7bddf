"""`iku validate` and `iku review ...`: validation of a period and the stewards' queue."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from iku.cli.common import UserError, console, handle_errors, require_schema, runtime
from iku.numbers import read_number

review_app = typer.Typer(
    help="The data stewards' review queue (issues found by validation).", no_args_is_help=True
)


def _period(value: str | None) -> str | None:
    if value is None:
        return None
    from iku.calendar import Period, PeriodError

    try:
        return str(Period.parse(value))
    except PeriodError as exc:
        raise UserError(str(exc)) from None


def _value(text: str | None) -> float | None:
    if text is None:
        return None
    reading = read_number(text)
    if reading.value is None:
        raise UserError(f"--value '{text}' is not an unambiguous number; write e.g. 85,24 or 1234")
    return reading.value


def _data(value: object) -> Text:
    """Agency-controlled text (a file name, a cell as found, a message quoting it) as data:
    ``[/link]`` in a cell would otherwise end a markup tag and crash the listing, and
    ``[red]97,5`` would show as ``97,5``."""
    return Text("-" if value is None else str(value))


def _e(value: object) -> str:
    return escape("-" if value is None else str(value))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.command("validate")(validate)


@handle_errors
def validate(
    period: Annotated[str, typer.Option(help="Period YYYY-MM.")],
    agency: Annotated[str | None, typer.Option(help="Only this agency's files.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
) -> None:
    """Validate the period's staged submissions and route rows to realisation or the queue."""
    from iku.operations.validate import summary
    from iku.operations.validate import validate as validate_staged

    require_schema()
    period_text = _period(period)
    assert period_text is not None
    outcome = validate_staged(runtime(), period_text, agency)
    routing = outcome.routing
    if json_output:
        print(json.dumps(summary(outcome), indent=2))
        return
    table = Table(title=f"Validation {period_text}")
    for column in ("agency", "file", "status", "rows", "accepted", "quarantined", "warnings"):
        table.add_column(column)
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
        f"{routing.rows_in} rows in = {routing.accepted} accepted + {routing.quarantined} "
        f"quarantined; {routing.warnings} warnings; {routing.auto_resolved} issues resolved by "
        "resubmissions."
    )
    if outcome.report.data_docs_index is not None:
        console.print(f"Data Docs: {_e(outcome.report.data_docs_index)}")


@review_app.command("list")
@handle_errors
def review_list(
    period: Annotated[str | None, typer.Option(help="Period YYYY-MM.")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code.")] = None,
    status: Annotated[
        str, typer.Option(help="open, accepted, rejected, resolved or all.")
    ] = "open",
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable list.")] = False,
) -> None:
    """List issues in the queue."""
    from iku.db import session_scope
    from quality.review import list_issues

    require_schema()
    with session_scope(runtime().engine) as session:
        issues = list_issues(
            session,
            period=_period(period),
            agency=agency,
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
    table = Table(title=f"{len(issues)} issue(s)")
    for column in ("id", "severity", "agency", "period", "file", "row", "IKU", "rule", "observed"):
        table.add_column(column)
    for i in issues:
        table.add_row(
            str(i.id),
            i.severity,
            _data(i.agency_code),
            _data(i.period),
            _data(i.file_name),
            str(i.source_row or "-"),
            _data(i.indicator_code),
            _data(i.rule),
            _data(i.observed),
        )
    console.print(table)


@review_app.command("show")
@handle_errors
def review_show(issue_id: Annotated[int, typer.Argument(help="Issue id.")]) -> None:
    """Show one issue: the row as found, the rule, and every decision taken on it."""
    from iku.db import session_scope
    from quality.review import get_issue

    require_schema()
    with session_scope(runtime().engine) as session:
        detail = get_issue(session, issue_id)
        i = detail.issue
        # Every value below can carry what an agency wrote: escaped, shown as written.
        console.print(
            f"[bold]Issue #{i.id}[/] ({_e(i.status)}, {_e(i.severity)}, rule {_e(i.rule)})",
            highlight=False,
        )
        console.print(
            f"Agency: {_e(i.agency_code)} {_e(i.agency_name)}   Period: {_e(i.period)}",
            highlight=False,
        )
        console.print(
            f"File: {_e(i.file_name)} (submission #{i.submission_id}), row {i.source_row}",
            highlight=False,
        )
        console.print(f"IKU: {_e(i.indicator_code)}   Column: {_e(i.column)}", highlight=False)
        console.print(f"Observed: {_e(i.observed)}\nExpected: {_e(i.expected)}", highlight=False)
        console.print(f"Message: {_e(i.message)}", highlight=False)
        if detail.staged is not None:
            s = detail.staged
            console.print(
                f"Row as found: realisasi '{_e(s.raw_value)}', state {_e(s.state)}, "
                f"evidence {_e(s.evidence_url or '-')}, note {_e(s.note or '-')}",
                highlight=False,
            )
        for d in detail.decisions:
            console.print(
                f"Decision #{d.id}: {_e(d.decision)} by {_e(d.decided_by)} at "
                f"{d.decided_at:%Y-%m-%d %H:%M} WIB: {_e(d.note)}"
                + (f" (value {d.value})" if d.value is not None else ""),
                highlight=False,
            )


def _decide(
    issue_id: int, decision: str, by: str, note: str, value: float | None, confirm: bool = False
) -> None:
    """Decide through the same operation as the web application, as the named account."""
    from iku.access import AccessDenied
    from iku.accounts import AccountError, named_actor
    from iku.db import session_scope
    from iku.i18n import _, set_default_language
    from iku.operations.review import decide_issue
    from quality.review import ReviewError

    require_schema()
    rt = runtime()
    set_default_language(rt.settings.language)
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
    console.print(message)
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


@review_app.command("accept")
@handle_errors
def review_accept(
    issue_id: Annotated[int, typer.Argument(help="Issue id.")],
    by: Annotated[str, typer.Option(help="Username of the deciding account (a steward).")],
    note: Annotated[str, typer.Option(help="Why.")],
    value: Annotated[
        str | None, typer.Option(help="The correct value (Indonesian format accepted).")
    ] = None,
    confirm: Annotated[
        bool,
        typer.Option("--confirm", help="Confirm a corrected value the plausibility checks doubt."),
    ] = False,
) -> None:
    """Accept (override): the row enters realisation, the period's figures are recomputed; the
    decision is kept for audit under the account's username."""
    _decide(issue_id, "accept", by, note, _value(value), confirm)


@review_app.command("reject")
@handle_errors
def review_reject(
    issue_id: Annotated[int, typer.Argument(help="Issue id.")],
    by: Annotated[str, typer.Option(help="Username of the deciding account (a steward).")],
    note: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Reject: the row's value is not used, the period's figures are recomputed; the decision
    is kept for audit under the account's username."""
    _decide(issue_id, "reject", by, note, None)
