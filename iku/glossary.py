"""The glossary ("how to read this"): plain-words definitions of the words the figures use.

One place for the bulletins (HTML and Typst partials) and the web pages (the collapsible box and
``/glosarium``). The texts are English msgids translated by the gettext catalogs (the bulletins
ask for Indonesian, the pages for the reader's language); every threshold a definition names
(predikat bands, the projection's band and months, the aggregation cap, the year-to-date
completeness) is read from the rules file, never written here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from iku import i18n
from iku.i18n import N_
from iku.rules import Band, Rules

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Term:
    """One glossary entry: the key (an anchor), the word as printed, and its definition."""

    key: str
    word: str
    definition: str


@dataclass(frozen=True)
class BandRow:
    """A predikat band as the glossary and the legends print it: ``Tinggi (T): 76 – < 91``."""

    code: str
    label: str
    color: str
    range_text: str


def band_range(band: Band) -> str:
    """``≥ 91``, ``76 – < 91``, ``< 51``: a half-open band ``[lower, upper)`` in percent."""
    from iku.formatting import angka  # lazily: the web application starts without numpy

    if band.lower is None and band.upper is not None:
        return f"< {angka(band.upper, 2, 0)}"
    if band.upper is None and band.lower is not None:
        return f"≥ {angka(band.lower, 2, 0)}"
    assert band.lower is not None and band.upper is not None
    return f"{angka(band.lower, 2, 0)} – < {angka(band.upper, 2, 0)}"


def band_rows(rules: Rules) -> list[BandRow]:
    """The rules file's predikat bands, highest first."""
    bands = sorted(
        rules.predikat.bands,
        key=lambda b: -math.inf if b.lower is None else b.lower,
        reverse=True,
    )
    return [BandRow(b.code, b.label, b.color, band_range(b)) for b in bands]


# The words, as msgids (translated when the glossary is built).
_CAPAIAN = N_(
    "How far the realisasi (the value the agency reported) went towards the target, in "
    "percent: realisasi divided by target, times 100. 100% means the target is met exactly; "
    "for an IKU where lower is better (for example a poverty rate) the formula is turned "
    "around, so a higher capaian is always better."
)
_YTD = N_(
    "Year to date: January up to this month taken together, not this month alone. It rests "
    "only on the months that were reported, against the targets of those same months, and "
    'says so (for example "9 of 10 months"); with fewer than %(share)s of the months due it '
    "is marked incomplete. A missing month is never counted as zero."
)
_PROYEKSI = N_(
    "Where the capaian is expected to be at the end of the year if the months so far go on "
    "as they did. It is computed only after at least %(months)s reported months; below "
    "predikat %(band)s (%(range)s) the IKU is marked at risk."
)
_TERCAPAI = N_(
    "Yes or no: did this month's realisasi meet the target as it is written (for example "
    '"≥ 85" or "20 – 30")? Capaian says how far; tercapai only says whether.'
)
_PREDIKAT = N_(
    "The band the capaian falls in (%(scale)s): %(bands)s. The band of an agency, a sector "
    "or the province is that of its capaian."
)
_AGGREGATE = N_(
    "The capaian of an agency is the average of its IKU that have a figure, each counted at "
    "most %(cap)s%%; a sector's and the province's are averages of their agencies. IKU "
    "without a figure, or waiting for a steward's verification, are left out, and the basis "
    'says how many were counted ("of N agencies and M IKU").'
)
_AGGREGATE_NO_CAP = N_(
    "The capaian of an agency is the average of its IKU that have a figure; a sector's and "
    "the province's are averages of their agencies. IKU without a figure, or waiting for a "
    "steward's verification, are left out, and the basis says how many were counted (\"of N "
    'agencies and M IKU").'
)


def glossary(rules: Rules, translate: Translate | None = None) -> list[Term]:
    """The glossary in the language of ``translate`` (default: the current language)."""
    from iku.formatting import angka

    t: Translate = translate or (
        lambda message: i18n.translations(i18n.current_language()).gettext(message)
    )
    at_risk = rules.predikat.band(rules.projection.at_risk_below_band)
    bands = "; ".join(f"{b.label} ({b.code}) {b.range_text}" for b in band_rows(rules))
    cap = rules.aggregation.cap
    aggregate = (
        t(_AGGREGATE) % {"cap": angka(cap, 2, 0)} if cap is not None else t(_AGGREGATE_NO_CAP)
    )
    share = f"{angka(rules.year_to_date.min_completeness * 100, 2, 0)}%"
    return [
        Term("capaian", "Capaian", t(_CAPAIAN)),
        Term(
            "sd-bulan-ini", t(N_("Up to this month (s.d. bulan ini)")), t(_YTD) % {"share": share}
        ),
        Term(
            "proyeksi",
            t(N_("Projection (proyeksi)")),
            t(_PROYEKSI)
            % {
                "months": rules.projection.min_months,
                "band": at_risk.label,
                "range": band_range(at_risk),
            },
        ),
        Term("tercapai", t(N_("Met (tercapai)")), t(_TERCAPAI)),
        Term(
            "predikat",
            "Predikat",
            t(_PREDIKAT) % {"scale": rules.predikat.scale_name, "bands": bands},
        ),
        Term("agregat", t(N_("Agency, sector and province capaian")), aggregate),
    ]


def indonesian(message: str) -> str:
    """``message`` in Bahasa Indonesia (the bulletins' language), whatever the context's."""
    return i18n.translations("id").gettext(message)


_NOT_COUNTED = N_(
    "What is not counted, and why: a value flagged by one of these checks (%(rules)s) waits "
    "for a data steward's verification and stays out of the agency, sector and province "
    "figures until it is verified, so that a typing slip cannot carry a headline; a row that "
    "could not be read or failed a check is held in the stewards' queue and not counted "
    "until they decide; a month that was not reported is missing, never zero."
)
_APPROVAL_MARKED = N_(
    "Approval: each agency's head approves the agency's month and the bureau then verifies "
    "it. Agencies not approved yet are counted in the sector and province figures, and are "
    "marked as not approved."
)
_APPROVAL_WITHHELD = N_(
    "Approval: each agency's head approves the agency's month and the bureau then verifies "
    "it. Agencies not approved yet are left out of the sector and province figures until "
    "they are approved."
)


def policies(rules: Rules, translate: Translate | None = None) -> list[Term]:
    """The policies in plain words, from the rules file (the public pages): how capaian is
    computed and aggregated, what the bands mean, what is not counted and why, and how
    unapproved data is treated."""
    from iku.flags import RULE_TITLES

    t: Translate = translate or (
        lambda message: i18n.translations(i18n.current_language()).gettext(message)
    )
    held = ", ".join(
        t(RULE_TITLES[code]) if code in RULE_TITLES else code.replace("_", " ")
        for code in rules.aggregation.hold_until_verified
    )
    approval = (
        _APPROVAL_WITHHELD
        if rules.approval.unapproved_in_province == "withheld"
        else _APPROVAL_MARKED
    )
    return [
        *glossary(rules, t),
        Term("tidak-dihitung", t(N_("What is not counted")), t(_NOT_COUNTED) % {"rules": held}),
        Term("persetujuan", t(N_("Approval of the data")), t(approval)),
    ]
