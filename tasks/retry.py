"""When a failed task run is worth retrying: transient database and mail errors only.

A bug or bad data fails the same way every time; retrying it only delays the report. A dropped
database connection, a lock timeout or a busy mail server usually clears up.
"""

from __future__ import annotations

import smtplib
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

TRANSIENT_SMTP = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


def is_transient(error: BaseException) -> bool:
    """True for errors that a retry can cure."""
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500  # 4xx: try again later
    return isinstance(error, TRANSIENT_SMTP)


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the run failed on a transient error."""
    try:
        state.result(raise_on_failure=True)
    except Exception as error:
        return is_transient(error)
    return False


#: Delays between retries of a task that touches the database or the mail server.
RETRY_DELAYS: list[float] = [2.0, 10.0, 30.0]
