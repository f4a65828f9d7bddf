"""The code lists of the domain, once each (no dependencies, so anything may import them).

A position in a tuple is the code the vectorised engine uses (:func:`iku.capaian.encode`); the
words are what the catalog, the database's check constraints and the exports hold.
"""

from __future__ import annotations

from typing import Final

#: Polarity of an IKU: higher is better, lower is better, or a band is best.
POLARITIES: Final = ("positive", "negative", "range")
#: Formulas for negative polarity: (2T - R) / T (PermenPANRB 8/2021) or T / R.
NEGATIVE_FORMULAS: Final = ("2T-R", "T/R")
#: How an IKU's periodic values make its year to date.
CONSOLIDATIONS: Final = ("sum", "average", "last")
#: Comparators of a target text: a number, <=, <, >=, >, or a range.
COMPARATORS: Final = ("eq", "le", "lt", "ge", "gt", "range")
#: How often an IKU is reported (iku.calendar says which months are due).
FREQUENCIES: Final = ("monthly", "quarterly", "semester", "annual")
#: Target period keys: the annual target and the PK breakdowns.
TARGET_PERIOD_KEYS: Final = (
    "annual",
    *(f"M{m:02d}" for m in range(1, 13)),
    *(f"Q{q}" for q in range(1, 5)),
    *(f"S{s}" for s in range(1, 3)),
)
