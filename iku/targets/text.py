"""Target texts as people write them ("<= 60 menit", "11,9 - 12,4", "70 hingga 70,3", "<49").

A target becomes a lower bound, an upper bound and a comparator; the original text is kept for
display. Numbers in target texts are read in Indonesian format (decimal comma, dot thousands),
the format the catalog declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from iku.numbers import NumberFormatError, parse_id_strict
from iku.rules import Scale

_CMP_WORDS: Final[list[tuple[str, str]]] = [
    ("<=", "le"),
    ("≤", "le"),
    ("=<", "le"),
    (">=", "ge"),
    ("≥", "ge"),
    ("=>", "ge"),
    ("<", "lt"),
    (">", "gt"),
    ("=", "eq"),
    ("maksimal", "le"),
    ("maks.", "le"),
    ("maks", "le"),
    ("paling lama", "le"),
    ("paling banyak", "le"),
    ("tidak lebih dari", "le"),
    ("kurang dari sama dengan", "le"),
    ("kurang dari", "lt"),
    ("minimal", "ge"),
    ("min.", "ge"),
    ("paling sedikit", "ge"),
    ("sekurang-kurangnya", "ge"),
    ("lebih dari sama dengan", "ge"),
    ("lebih dari", "gt"),
]

_NUM = r"(?:Rp\.?\s*)?[-−]?\d[\d.,]*"
_RANGE_SEP = r"(?:-|–|—|s\.?\s?d\.?|s/d|hingga|sampai(?:\s+dengan)?|sampai)"
_UNIT = rf"(?:%|(?!{_RANGE_SEP}\s*\d)[^\W\d][^,;]*?)"
_TARGET = re.compile(
    rf"^(?P<a>{_NUM})\s*(?P<ua>{_UNIT})?\s*"
    rf"(?:{_RANGE_SEP}\s*(?P<b>{_NUM})\s*(?P<ub>{_UNIT})?)?\s*$",
    re.IGNORECASE,
)


class TargetParseError(ValueError):
    """A target text that cannot be read; the message is in Indonesian."""


@dataclass(frozen=True, slots=True)
class ParsedTarget:
    """A target as bounds. For ``eq``, lower == upper == the number."""

    comparator: str
    lower: float | None
    upper: float | None
    text: str

    @property
    def point(self) -> float | None:
        """The single reference value of a non-range target (its only bound)."""
        if self.comparator == "range":
            return None
        return self.lower if self.lower is not None else self.upper


def _split_comparator(text: str) -> tuple[str | None, str]:
    lowered = text.lower()
    for word, comparator in _CMP_WORDS:
        if lowered.startswith(word):
            return comparator, text[len(word) :].strip()
    return None, text


def _drop_currency(number: str) -> str:
    return re.sub(r"^Rp\.?\s*", "", number, flags=re.IGNORECASE)


_PLUS_MINUS = re.compile(
    rf"^(?P<a>{_NUM})\s*(?:±|\+/-|\+-)\s*(?P<d>{_NUM})\s*(?P<u>{_UNIT})?\s*$", re.IGNORECASE
)


def parse_target(text: str, scale: Scale | None = None) -> ParsedTarget:
    """Parse a target text into bounds and a comparator, or raise :class:`TargetParseError`.

    ``3 ± 1`` is the range 2-4. With an ordinal ``scale`` (a qualitative IKU), the text is a
    grade ("WTP", "minimal BB") and the bounds are its score.
    """
    original = str(text).strip()
    if not original:
        raise TargetParseError("target kosong")
    if scale is not None:
        return _parse_grade(original, scale)
    if plus_minus := _PLUS_MINUS.match(original):
        try:
            center = parse_id_strict(_drop_currency(plus_minus["a"]))
            spread = abs(parse_id_strict(plus_minus["d"]))
        except NumberFormatError as exc:
            raise TargetParseError(f"target '{original}': {exc}") from None
        if spread == 0:
            return ParsedTarget("eq", center, center, original)
        return ParsedTarget("range", center - spread, center + spread, original)
    comparator, rest = _split_comparator(original)
    match = _TARGET.match(rest)
    if not match:
        raise TargetParseError(
            f"target '{original}' tidak dapat dibaca; tulis misalnya '95', '<= 60 menit', "
            "'11,9 - 12,4' atau '70 hingga 70,3'"
        )
    try:
        first = parse_id_strict(_drop_currency(match["a"]))
        second = parse_id_strict(_drop_currency(match["b"])) if match["b"] else None
    except NumberFormatError as exc:
        raise TargetParseError(f"target '{original}': {exc}") from None
    if second is not None:
        if comparator not in (None, "eq"):
            raise TargetParseError(f"target '{original}' memakai pembanding dan rentang sekaligus")
        lower, upper = min(first, second), max(first, second)
        if lower == upper:
            return ParsedTarget("eq", lower, upper, original)
        return ParsedTarget("range", lower, upper, original)
    return _single(comparator or "eq", first, original)


def _single(comparator: str, value: float, original: str) -> ParsedTarget:
    if comparator == "eq":
        return ParsedTarget("eq", value, value, original)
    if comparator in ("le", "lt"):
        return ParsedTarget(comparator, None, value, original)
    return ParsedTarget(comparator, value, None, original)


def _parse_grade(original: str, scale: Scale) -> ParsedTarget:
    """A qualitative target: a grade of the scale, optionally with a comparator ("minimal
    BB"); a plain grade means "at least this grade" (a higher grade also meets it)."""
    comparator, rest = _split_comparator(original)
    score = scale.score(rest)
    if score is None:
        raise TargetParseError(
            f"target '{original}' bukan tingkat {scale.label}; tulis salah satu: {scale.names}"
        )
    return _single("ge" if comparator in (None, "eq") else comparator, score, original)
