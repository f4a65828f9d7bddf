"""Indonesian number reading: decimal comma, dot thousands, explicit states, ambiguity.

Indonesian writes ``1.234.567,89``; English-format exports write ``1,234,567.89``. A string with a
single separator followed by exactly three digits (``1.234``) or a lone decimal point (``97.35``)
can be read two ways. Such strings are never guessed: :func:`read_number` returns both candidates
and the caller settles them with the indicator's magnitude (:func:`choose_by_magnitude`) or flags
the row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

#: Realisasi states. Only ``angka`` carries a value; missing is never zero.
STATE_NUMBER: Final = "angka"
STATE_NOT_AVAILABLE: Final = "belum_tersedia"
STATE_NOT_REPORTED: Final = "tidak_dilaporkan"
STATES: Final = (STATE_NUMBER, STATE_NOT_AVAILABLE, STATE_NOT_REPORTED)

#: How people write "no number" in a cell, mapped to a state.
STATE_WORDS: Final[dict[str, str]] = {
    "-": STATE_NOT_REPORTED,
    "–": STATE_NOT_REPORTED,
    "—": STATE_NOT_REPORTED,
    "n/a": STATE_NOT_REPORTED,
    "na": STATE_NOT_REPORTED,
    "tidak dilaporkan": STATE_NOT_REPORTED,
    "tidak_dilaporkan": STATE_NOT_REPORTED,
    "tidak ada data": STATE_NOT_REPORTED,
    "belum tersedia": STATE_NOT_AVAILABLE,
    "belum_tersedia": STATE_NOT_AVAILABLE,
    "belum ada data": STATE_NOT_AVAILABLE,
    "belum rilis": STATE_NOT_AVAILABLE,
}

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DIGITS = re.compile(r"^\d+$")
_ID_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")


class NumberFormatError(ValueError):
    """A string that is not a number in the declared format; the message is in Indonesian."""


@dataclass(frozen=True, slots=True)
class Reading:
    """The outcome of reading one cell.

    Exactly one of these holds: ``value`` is set (a number); ``state`` is a non-number state;
    ``candidates`` holds two readings of an ambiguous string; ``problem`` says why it is unreadable.
    """

    value: float | None = None
    state: str | None = None
    candidates: tuple[float, ...] = ()
    percent: bool = False
    problem: str | None = None

    @property
    def is_ambiguous(self) -> bool:
        return len(self.candidates) > 1


def _strip(text: str) -> tuple[str, bool, bool]:
    """Remove spaces, a currency prefix and a percent sign; return (core, negative, percent)."""
    core = _SPACES.sub("", text)
    percent = core.endswith("%")
    if percent:
        core = core[:-1]
    if core[:2].lower() == "rp":
        core = core[2:].lstrip(".")
    negative = False
    if core[:1] in ("-", "−", "–"):
        negative = True
        core = core[1:]
    elif core[:1] == "+":
        core = core[1:]
    return core, negative, percent


def _signed(value: float, negative: bool) -> float:
    return -value if negative else value


def parse_id_strict(text: str) -> float:
    """Parse a number written in Indonesian format only (``1.234,5``); raise otherwise.

    Used where the format is declared, such as the catalog's target texts.
    """
    core, negative, _ = _strip(str(text))
    if not core:
        raise NumberFormatError(f"'{text}' bukan angka")
    integer, _, fraction = core.partition(",")
    if "," in fraction or not (_DIGITS.match(integer) or _ID_GROUPED.match(integer)):
        raise NumberFormatError(
            f"'{text}' bukan angka berformat Indonesia (contoh: 1.234,5 atau 85,24)"
        )
    if fraction and not _DIGITS.match(fraction):
        raise NumberFormatError(f"'{text}' bukan angka berformat Indonesia")
    value = float(integer.replace(".", "") + ("." + fraction if fraction else ""))
    return _signed(value, negative)


def read_number(raw: object) -> Reading:
    """Read a cell as a number in Indonesian or plain format, a state word, or an ambiguity."""
    if raw is None:
        return Reading(state=STATE_NOT_REPORTED)
    if isinstance(raw, bool):
        return Reading(problem=f"'{raw}' bukan angka")
    if isinstance(raw, int | float):
        value = float(raw)
        if math.isnan(value):
            return Reading(state=STATE_NOT_REPORTED)
        if math.isinf(value):
            return Reading(problem="nilai tak hingga bukan angka yang sah")
        return Reading(value=value)
    text = str(raw).strip()
    if not text:
        return Reading(state=STATE_NOT_REPORTED)
    state = STATE_WORDS.get(_SPACES.sub(" ", text).lower())
    if state is not None:
        return Reading(state=state)
    core, negative, percent = _strip(text)
    if not core or not core[0].isdigit() or not core[-1].isdigit():
        return Reading(problem=f"'{text}' bukan angka", percent=percent)
    has_dot, has_comma = "." in core, "," in core
    try:
        if not has_dot and not has_comma:
            if not _DIGITS.match(core):
                raise NumberFormatError
            return Reading(value=_signed(float(core), negative), percent=percent)
        if has_dot and has_comma:
            # Whichever separator comes last is the decimal mark; the other must group by three.
            if core.rfind(",") > core.rfind("."):
                return Reading(value=_signed(parse_id_strict(core), negative), percent=percent)
            integer, _, fraction = core.rpartition(".")
            if not _EN_GROUPED.match(integer) or not _DIGITS.match(fraction):
                raise NumberFormatError
            value = float(integer.replace(",", "") + "." + fraction)
            return Reading(value=_signed(value, negative), percent=percent)
        sep = "." if has_dot else ","
        parts = core.split(sep)
        if not all(_DIGITS.match(p) for p in parts):
            raise NumberFormatError
        if len(parts) > 2:
            # Several identical separators can only be thousands groups.
            if not all(len(p) == 3 for p in parts[1:]) or len(parts[0]) > 3:
                raise NumberFormatError
            return Reading(value=_signed(float("".join(parts)), negative), percent=percent)
        integer, fraction = parts
        as_decimal = _signed(float(f"{integer}.{fraction}"), negative)
        if sep == ",":
            if len(fraction) != 3:
                # A decimal comma: the Indonesian reading, and no other is possible.
                return Reading(value=as_decimal, percent=percent)
            as_thousands = _signed(float(integer + fraction), negative)
            return Reading(candidates=(as_decimal, as_thousands), percent=percent)
        # A lone dot: a decimal point (plain format) or a mistyped Indonesian thousands mark.
        as_thousands = _signed(float(integer + fraction), negative)
        return Reading(candidates=(as_decimal, as_thousands), percent=percent)
    except NumberFormatError:
        return Reading(problem=f"'{text}' bukan angka yang dapat dibaca", percent=percent)


def choose_by_magnitude(
    candidates: tuple[float, ...],
    *,
    reference: float | None,
    lower: float | None = None,
    upper: float | None = None,
    max_ratio: float = 10.0,
) -> float | None:
    """Settle an ambiguous reading when the indicator's magnitude allows only one candidate.

    A candidate is plausible when it lies within the hard bounds and within ``max_ratio`` of the
    reference magnitude (the target or the series' recent values). Returns the single plausible
    candidate, or None when zero or several remain (the row must then be flagged, not guessed).
    """
    plausible = []
    for value in candidates:
        if lower is not None and value < lower:
            continue
        if upper is not None and value > upper:
            continue
        if reference is not None and reference != 0:
            ratio = abs(value) / abs(reference) if value != 0 else math.inf
            if not (1 / max_ratio <= ratio <= max_ratio):
                continue
        plausible.append(value)
    return plausible[0] if len(plausible) == 1 else None
