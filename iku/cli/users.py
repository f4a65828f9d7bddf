"""`iku users ...`: accounts of the web application and the API tokens of other systems."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from iku.cli.common import UserError, console, require_schema, runtime
from iku.i18n import N_, _

if TYPE_CHECKING:
    from iku.runtime import Runtime

users_app = typer.Typer(
    help=N_("Accounts of the web application (roles, agencies) and API tokens."),
    no_args_is_help=True,
)
tokens_app = typer.Typer(help=N_("Long-lived API tokens for other systems."), no_args_is_help=True)
users_app.add_typer(tokens_app, name="tokens")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def _runtime() -> Runtime:
    require_schema()
    rt = runtime()
    return rt


def _operator() -> tuple[str, str]:
    """Who acts at the shell (for the audit log): ``cli:<login>`` and ``cli:<login>@<host>``."""
    from iku.cli.review import cli_address

    address = cli_address()
    return address.split("@", 1)[0], address


@users_app.command(
    "add",
    help=N_(
        "Create an account; the password is read from standard input, never from the command line."
    ),
)
def users_add(
    username: Annotated[str, typer.Argument(help=N_("Login name (lower case, digits, . _ -)."))],
    role: Annotated[
        str, typer.Option(help=N_("admin, bureau, steward, agency, agency_head or leader."))
    ],
    agency: Annotated[
        list[str] | None,
        typer.Option(
            help=N_("Agency code (agency, agency_head: one; steward: any, or none = all).")
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=N_("Read the password from standard input."))
    ] = False,
    oidc_only: Annotated[
        bool, typer.Option("--oidc-only", help=N_("No password: signs in through OpenID Connect."))
    ] = False,
    name: Annotated[str, typer.Option(help=N_("Full name shown in the pages."))] = "",
    language: Annotated[
        str | None, typer.Option(help=N_("id or en: the pages' language after sign-in."))
    ] = None,
) -> None:
    """Create an account. The password is read from standard input, never from the command
    line (where it would stay in the shell history and the process list)."""
    from iku import audit
    from iku.accounts import AccountError, create_account
    from iku.db import session_scope

    rt = _runtime()
    if password_stdin == oidc_only:
        raise UserError(
            _(
                "Give exactly one of --password-stdin (e.g. `printf '%%s' \"$PASSWORD\" | iku "
                "users add NAME --role ROLE --password-stdin`) or --oidc-only."
            )
        )
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError(_("No password was read from standard input."))
    by, address = _operator()
    try:
        with session_scope(rt.engine) as session:
            account = create_account(
                session,
                username,
                role=role,
                password=password,
                agencies=agency or [],
                display_name=name,
                language=language,
            )
            codes = sorted(link.agency.code for link in account.agencies)
            audit.record(
                session,
                None,
                "account.create",
                target=f"account:{account.username}",
                details={"role": account.role, "agencies": codes},
                by=by,
                address=address,
            )
            created = account.username
    except AccountError as exc:
        raise UserError(str(exc)) from None
    scope = ", ".join(codes) if codes else _("every agency")
    console.print(
        _(
            "Account %(name)s created (role %(role)s, agencies: %(scope)s).",
            name=created,
            role=role,
            scope=scope,
        ),
        highlight=False,
    )


@users_app.command("list", help=N_("List the accounts."))
def users_list(
    json_output: Annotated[bool, typer.Option("--json", help=N_("Machine-readable list."))] = False,
) -> None:
    """List the accounts."""
    from iku.accounts import agency_codes, list_accounts
    from iku.db import session_scope

    rt = _runtime()
    with session_scope(rt.engine) as session:
        rows = [
            {
                "username": a.username,
                "name": a.display_name,
                "role": a.role,
                "agencies": agency_codes(a),
                "enabled": a.is_enabled,
                "password": a.password_hash is not None,
                "last_sign_in_at": a.last_sign_in_at.isoformat() if a.last_sign_in_at else None,
            }
            for a in list_accounts(session)
        ]
    if json_output:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=_("%(n)s account(s)", n=len(rows)))
    for column in (
        _("username"),
        _("name"),
        _("role"),
        _("agencies"),
        _("enabled"),
        _("last sign-in"),
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["username"]),
            str(r["name"]),
            str(r["role"]),
            ", ".join(r["agencies"]) or _("every agency"),  # type: ignore[arg-type]
            _("yes") if r["enabled"] else _("no"),
            str(r["last_sign_in_at"] or "-"),
        )
    console.print(table)


@users_app.command(
    "disable",
    help=N_("Disable an account: it can no longer sign in, its sessions end, its tokens stop."),
)
def users_disable(username: Annotated[str, typer.Argument(help=N_("Login name."))]) -> None:
    """Disable an account: it can no longer sign in, its sessions end, its tokens stop."""
    from iku import audit
    from iku.accounts import AccountError, disable_account
    from iku.db import session_scope

    rt = _runtime()
    by, address = _operator()
    try:
        with session_scope(rt.engine) as session:
            account = disable_account(session, username)
            audit.record(
                session,
                None,
                "account.disable",
                target=f"account:{account.username}",
                by=by,
                address=address,
            )
            name = account.username
    except AccountError as exc:
        raise UserError(str(exc)) from None
    console.print(_("Account %(name)s disabled.", name=name), highlight=False)


@tokens_app.command(
    "issue", help=N_("Issue a long-lived API token (printed once; only its hash is stored).")
)
def tokens_issue(
    username: Annotated[str, typer.Argument(help=N_("The account the token acts as."))],
    name: Annotated[str, typer.Option(help=N_("What the token is for (e.g. the other system)."))],
    days: Annotated[
        int | None, typer.Option(min=1, help=N_("Expires after this many days (default: never)."))
    ] = None,
) -> None:
    """Issue a long-lived API token (printed once; only its hash is stored)."""
    from datetime import timedelta

    from iku import audit
    from iku.accounts import AccountError, find_account, issue_token
    from iku.db import session_scope

    rt = _runtime()
    by, address = _operator()
    try:
        with session_scope(rt.engine) as session:
            account = find_account(session, username)
            if account is None:
                raise AccountError(_("There is no account '%(name)s'.", name=username))
            token, row = issue_token(
                session,
                account,
                kind="api",
                name=name,
                created_by=by,
                lifetime=timedelta(days=days) if days else None,
            )
            audit.record(
                session,
                None,
                "token.issue",
                target=f"api_token:{row.id}",
                details={"account": account.username, "name": name, "days": days},
                by=by,
                address=address,
            )
            token_id = row.id
    except AccountError as exc:
        raise UserError(str(exc)) from None
    console.print(
        _("Token #%(id)s for %(name)s (shown only now, keep it secret):", id=token_id, name=name),
        highlight=False,
    )
    print(token)


@tokens_app.command("list", help=N_("List the API tokens (never the tokens themselves)."))
def tokens_list() -> None:
    """List the API tokens (never the tokens themselves)."""
    from iku.accounts import list_tokens
    from iku.db import session_scope

    rt = _runtime()
    with session_scope(rt.engine) as session:
        rows = list_tokens(session)
        table = Table(title=_("%(n)s API token(s)", n=len(rows)))
        for column in ("id", _("account"), _("name"), _("created"), _("expires"), _("revoked")):
            table.add_column(column)
        for token, username in rows:
            table.add_row(
                str(token.id),
                username,
                token.name,
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "-",
            )
    console.print(table)


@tokens_app.command("revoke", help=N_("Revoke an API token: it stops working at once."))
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help=N_("Token id (tokens list)."))],
) -> None:
    """Revoke an API token: it stops working at once."""
    from iku import audit
    from iku.accounts import AccountError, revoke_token
    from iku.db import session_scope

    rt = _runtime()
    by, address = _operator()
    try:
        with session_scope(rt.engine) as session:
            revoke_token(session, token_id)
            audit.record(
                session,
                None,
                "token.revoke",
                target=f"api_token:{token_id}",
                by=by,
                address=address,
            )
    except AccountError as exc:
        raise UserError(str(exc)) from None
    console.print(_("Token #%(id)s revoked.", id=token_id), highlight=False)
