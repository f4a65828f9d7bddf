"""`iku validate` and `iku review ...`: validation of a period and the stewards' queue."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

import typer

from iku.cli.common import UserError, console, require_agency, require_schema, runtime

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_REVIEW: Final = "Antrean tinjauan pengelola data (isu yang ditemukan validasi)."
HELP_VALIDATE: Final = (
    "Validasi kiriman periode yang sudah diterima, lalu salurkan barisnya ke realisasi atau ke "
    "antrean tinjauan."
)
HELP_PERIOD: Final = "Periode YYYY-MM."
HELP_AGENCY_ONLY: Final = "Hanya berkas perangkat daerah ini (kode, misalnya DINKES)."
HELP_JSON: Final = "Keluaran JSON untuk mesin."
HELP_LIST: Final = "Daftar isu dalam antrean."
HELP_AGENCY: Final = "Kode perangkat daerah, misalnya DINKES."
HELP_STATUS: Final = "Status isu (all: semua)."
HELP_SHOW: Final = "Tampilkan satu isu: baris seperti ditemukan, aturannya, dan setiap keputusan."
HELP_ISSUE: Final = "Nomor isu (lihat `iku review list`)."
HELP_ACCEPT: Final = "Terima (timpa): baris masuk ke realisasi; keputusannya disimpan untuk audit."
HELP_REJECT: Final = "Tolak: nilai baris tidak dipakai; keputusannya disimpan untuk audit."
HELP_BY: Final = "Nama pengguna akun yang memutuskan (pengelola data)."
HELP_NOTE: Final = "Alasannya."
HELP_VALUE: Final = "Nilai yang benar (format Indonesia, misalnya 85,24)."
HELP_CONFIRM: Final = "Tegaskan nilai koreksi yang diragukan pemeriksaan kewajaran."
MSG_BAD_VALUE: Final = "--value '{text}' bukan angka yang jelas; tulis misalnya 85,24 atau 1234."
MSG_NOTHING_TO_VALIDATE: Final = (
    "Tidak ada kiriman periode {period}{agency} di basis data; terima berkasnya dulu dengan "
    "`iku ingest` (atau periksa periodenya)."
)
MSG_ALREADY_VALIDATED: Final = (
    "Semua {count} kiriman periode {period}{agency} sudah divalidasi; tidak ada yang baru. "
    "Hasilnya: `iku review list --period {period}`."
)
MSG_FOR_AGENCY: Final = " untuk {agency}"
TITLE_VALIDATION: Final = "Validasi {period}"
COLUMNS_VALIDATION: Final = (
    "perangkat daerah",
    "berkas",
    "status",
    "baris",
    "diterima",
    "ditahan",
    "peringatan",
)
MSG_VALIDATION: Final = (
    "{rows_in} baris masuk = {accepted} diterima + {quarantined} ditahan; {warnings} peringatan; "
    "{resolved} isu selesai karena kiriman ulang."
)
TITLE_ISSUES: Final = "{count} isu"
COLUMNS_ISSUES: Final = (
    "no",
    "tingkat",
    "perangkat daerah",
    "periode",
    "berkas",
    "baris",
    "IKU",
    "aturan",
    "teramati",
)
MSG_ISSUE_HEAD: Final = "[bold]Isu #{id}[/] ({status}, {severity}, aturan: {rule})"
MSG_ISSUE_AGENCY: Final = "Perangkat daerah: {code} {name}   Periode: {period}"
MSG_ISSUE_FILE: Final = "Berkas: {file} (kiriman #{submission}), baris {row}"
MSG_ISSUE_IKU: Final = "IKU: {code}   Kolom: {column}"
MSG_ISSUE_VALUES: Final = "Teramati: {observed}\nDiharapkan: {expected}"
MSG_ISSUE_MESSAGE: Final = "Pesan: {message}"
MSG_ISSUE_ROW: Final = (
    "Baris seperti ditemukan: realisasi '{raw}', status {state}, bukti {evidence}, catatan {note}"
)
MSG_DECISION: Final = "Keputusan #{id}: {decision} oleh {by} pada {at:%Y-%m-%d %H:%M} WIB: {note}"
MSG_DECISION_VALUE: Final = " (nilai {value})"
STATUS_WORDS: Final = {
    "open": "terbuka",
    "accepted": "diterima",
    "rejected": "ditolak",
    "resolved": "selesai otomatis",
}
DECISION_WORDS: Final = {
    "accept": "terima",
    "reject": "tolak",
    "auto_resolve": "selesai otomatis",
}

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
        raise UserError(MSG_BAD_VALUE.format(text=text))
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
    where = MSG_FOR_AGENCY.format(agency=code) if code else ""
    if total == 0:
        raise UserError(MSG_NOTHING_TO_VALIDATE.format(period=period_text, agency=where))
    if waiting == 0 and not json_output:
        console.print(MSG_ALREADY_VALIDATED.format(count=total, period=period_text, agency=where))
        return
    outcome = validate_staged(runtime(), period_text, code)
    routing = outcome.routing
    if json_output:
        print(json.dumps(summary(outcome), indent=2))
        return
    from rich.table import Table

    table = Table(title=TITLE_VALIDATION.format(period=period_text))
    for column in COLUMNS_VALIDATION:
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
        MSG_VALIDATION.format(
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

    from iku.flags import SEVERITY_LABELS
    from iku.flags import label as rule_label

    table = Table(title=TITLE_ISSUES.format(count=len(issues)))
    for column in COLUMNS_ISSUES:
        table.add_column(column)
    for i in issues:
        table.add_row(
            str(i.id),
            SEVERITY_LABELS.get(i.severity, i.severity),
            _data(i.agency_code),
            _data(i.period),
            _data(i.file_name),
            str(i.source_row or "-"),
            _data(i.indicator_code),
            rule_label(i.rule),
            _data(i.observed),
        )
    console.print(table)


@review_app.command("show", help=HELP_SHOW)
def review_show(issue_id: Annotated[int, typer.Argument(help=HELP_ISSUE)]) -> None:
    """Show one issue: the row as found, the rule, and every decision taken on it."""
    from iku.db import session_scope
    from iku.flags import SEVERITY_LABELS
    from iku.flags import label as rule_label
    from quality.review import get_issue

    require_schema()
    with session_scope(runtime().engine) as session:
        detail = get_issue(session, issue_id)
        i = detail.issue
        console.print(
            MSG_ISSUE_HEAD.format(
                id=i.id,
                status=STATUS_WORDS.get(i.status, i.status),
                severity=SEVERITY_LABELS.get(i.severity, i.severity),
                rule=rule_label(i.rule),
            )
        )
        console.print(
            MSG_ISSUE_AGENCY.format(
                code=_e(i.agency_code), name=_e(i.agency_name), period=_e(i.period)
            ),
            highlight=False,
        )
        console.print(
            MSG_ISSUE_FILE.format(
                file=_e(i.file_name), submission=i.submission_id, row=i.source_row
            ),
            highlight=False,
        )
        console.print(
            MSG_ISSUE_IKU.format(code=_e(i.indicator_code), column=_e(i.column)), highlight=False
        )
        console.print(
            MSG_ISSUE_VALUES.format(observed=_e(i.observed), expected=_e(i.expected)),
            highlight=False,
        )
        console.print(MSG_ISSUE_MESSAGE.format(message=_e(i.message)), highlight=False)
        if detail.staged is not None:
            s = detail.staged
            console.print(
                MSG_ISSUE_ROW.format(
                    raw=_e(s.raw_value),
                    state=_e(s.state),
                    evidence=_e(s.evidence_url),
                    note=_e(s.note),
                ),
                highlight=False,
            )
        for d in detail.decisions:
            console.print(
                MSG_DECISION.format(
                    id=d.id,
                    decision=DECISION_WORDS.get(d.decision, d.decision),
                    by=_e(d.decided_by),
                    at=d.decided_at,
                    note=_e(d.note),
                )
                + (MSG_DECISION_VALUE.format(value=d.value) if d.value is not None else ""),
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
