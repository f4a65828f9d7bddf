"""``iku period approve|verify|lock|reopen|publish|show``: approval and locking of a period."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Final

import typer

from iku.i18n import N_, _

if TYPE_CHECKING:
    from iku.access import Actor
    from iku.operations.periods import PeriodAction
    from iku.periods import PeriodStatus

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_PERIOD_APP: Final = N_(
    "Approval, verification, locking and publication of a period (docs/periods.md)."
)
HELP_PERIOD: Final = N_("The period, YYYY-MM.")
HELP_AGENCY: Final = N_("The agency code, for example DINKES.")
HELP_BY: Final = N_("The username of the acting account (its role decides what it may do).")
HELP_REASON: Final = N_("Why the period is reopened (kept in the audit log).")
HELP_JSON: Final = N_("JSON output for machines.")
HELP_APPROVE: Final = N_("The agency head approves the agency's month.")
HELP_VERIFY: Final = N_("The bureau verifies an approved month.")
HELP_LOCK: Final = N_(
    "The bureau locks the period: its figures are frozen; submissions and decisions are refused."
)
HELP_REOPEN: Final = N_(
    "The bureau reopens a locked period with a reason; it is unpublished, and the next run "
    "re-issues changed bulletins as revisions."
)
HELP_PUBLISH: Final = N_("The bureau publishes a locked period on the public pages (/publik/).")
HELP_SHOW: Final = N_("Show the period's state and the approval status of every agency.")
MSG_DENIED: Final = N_(
    "The account '%(name)s' (role %(role)s) may not do this: approval is for the agency's "
    "head, verification, locking, reopening and publishing for the bureau."
)
MSG_DONE: Final = {
    "approve": N_("%(agency)s's month %(period)s approved by %(name)s (event #%(event)s)."),
    "verify": N_("%(agency)s's month %(period)s verified by %(name)s (event #%(event)s)."),
    "lock": N_("Period %(period)s locked by %(name)s (event #%(event)s): its figures are final."),
    "reopen": N_(
        "Period %(period)s reopened by %(name)s (event #%(event)s); it is no longer public. "
        "Run `iku run --period %(period)s` to re-issue the bulletins whose figures change."
    ),
    "publish": N_(
        "Period %(period)s published by %(name)s (event #%(event)s): /publik/%(period)s/."
    ),
}
TITLE_STATUS: Final = N_("Period %(period)s: %(state)s")
STATE_LOCKED: Final = N_("locked")
STATE_OPEN: Final = N_("open")
STATE_PUBLISHED: Final = N_("locked, published")
COLUMNS_STATUS: Final = (
    N_("agency"),
    N_("status"),
    N_("approved by"),
    N_("verified by"),
)

period_app = typer.Typer(help=HELP_PERIOD_APP, no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(period_app, name="period")


def _actor(by: str) -> Actor:
    from iku.accounts import AccountError, named_actor
    from iku.cli.common import UserError, require_schema, runtime
    from iku.cli.review import cli_address
    from iku.db import session_scope

    require_schema()
    try:
        with session_scope(runtime().engine) as session:
            return named_actor(session, by, address=cli_address())
    except AccountError as exc:
        raise UserError(str(exc)) from None


def _run(action: str, period: str, by: str, agency: str | None = None, reason: str = "") -> None:
    from iku.access import AccessDenied
    from iku.cli.common import UserError, console, runtime
    from iku.operations import periods as ops

    actor = _actor(by)
    rt = runtime()
    done: PeriodAction
    try:
        if action == "approve":
            done = ops.approve(rt, period, agency or "", actor=actor)
        elif action == "verify":
            done = ops.verify(rt, period, agency or "", actor=actor)
        elif action == "lock":
            done = ops.lock(rt, period, actor=actor)
        elif action == "reopen":
            done = ops.reopen(rt, period, actor=actor, reason=reason)
        else:
            done = ops.publish(rt, period, actor=actor)
    except AccessDenied:
        raise UserError(_(MSG_DENIED, name=actor.username, role=actor.role.value)) from None
    console.print(
        _(
            MSG_DONE[action],
            agency=done.agency_code or "",
            period=done.status.period,
            name=done.actor,
            event=done.event_id,
        ),
        highlight=False,
        markup=False,
    )


@period_app.command("approve", help=HELP_APPROVE)
def approve(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    agency: Annotated[str, typer.Option("--agency", help=HELP_AGENCY)],
    by: Annotated[str, typer.Option("--by", help=HELP_BY)],
) -> None:
    _run("approve", period, by, agency)


@period_app.command("verify", help=HELP_VERIFY)
def verify(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    agency: Annotated[str, typer.Option("--agency", help=HELP_AGENCY)],
    by: Annotated[str, typer.Option("--by", help=HELP_BY)],
) -> None:
    _run("verify", period, by, agency)


@period_app.command("lock", help=HELP_LOCK)
def lock(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    by: Annotated[str, typer.Option("--by", help=HELP_BY)],
) -> None:
    _run("lock", period, by)


@period_app.command("reopen", help=HELP_REOPEN)
def reopen(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    reason: Annotated[str, typer.Option("--reason", help=HELP_REASON)],
    by: Annotated[str, typer.Option("--by", help=HELP_BY)],
) -> None:
    _run("reopen", period, by, reason=reason)


@period_app.command("publish", help=HELP_PUBLISH)
def publish(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    by: Annotated[str, typer.Option("--by", help=HELP_BY)],
) -> None:
    _run("publish", period, by)


def _table(shown: PeriodStatus) -> None:
    from rich.table import Table
    from rich.text import Text

    from iku.cli.common import console

    state = (
        _(STATE_PUBLISHED)
        if shown.published
        else (_(STATE_LOCKED) if shown.locked else _(STATE_OPEN))
    )
    table = Table(title=_(TITLE_STATUS, period=shown.period, state=state))
    for column in COLUMNS_STATUS:
        table.add_column(_(column))
    for a in shown.agencies:
        table.add_row(
            Text(a.agency_code),
            Text(a.label),
            Text(a.approved_by or "-"),
            Text(a.verified_by or "-"),
        )
    console.print(table)


@period_app.command("show", help=HELP_SHOW)
def show(
    period: Annotated[str, typer.Argument(help=HELP_PERIOD)],
    json_output: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
) -> None:
    from iku.access import Actor, Role
    from iku.cli.common import require_schema, runtime
    from iku.operations import periods as ops

    require_schema()
    # The operator at the shell reads every agency, as the bureau does.
    reader = Actor("cli", Role.BUREAU)
    shown = ops.status(runtime(), period, actor=reader)
    if json_output:
        print(json.dumps(shown.as_json(), indent=2, ensure_ascii=False))
        return
    _table(shown)
