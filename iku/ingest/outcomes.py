"""What ingestion made of a file: the status words of a submission and of a file's outcome.

A module of constants only, so that the web application can name them without importing the
readers (pandas) at start-up.
"""

from __future__ import annotations

from typing import Final

STAGED: Final = "staged"
SUPERSEDED: Final = "superseded"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
IGNORED: Final = "ignored"
REFUSED: Final = "refused"
SKIPPED: Final = "skipped"
