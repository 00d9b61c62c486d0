"""Glucocorticoid doses expressed as prednisone-equivalent mg/day (reference/clinical.md §2).

Only systemic routes count toward the prednisone-equivalent daily dose; topical, inhaled and
intra-articular doses do not. Intermittent regimens count as their mean daily dose.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

# mg of each drug equivalent in anti-inflammatory potency to 5 mg prednisone.
# British National Formulary, "Equivalent anti-inflammatory doses of corticosteroids".
BNF_EQUIVALENT_TO_5_MG_PREDNISONE: dict[str, Decimal] = {
    "prednisone": Decimal("5"),
    "prednisolone": Decimal("5"),
    "methylprednisolone": Decimal("4"),
    "triamcinolone": Decimal("4"),
    "hydrocortisone": Decimal("20"),
    "cortisone": Decimal("25"),
    "dexamethasone": Decimal("0.75"),
    "betamethasone": Decimal("0.75"),
    "deflazacort": Decimal("6"),
}
# US tables (e.g. Meikle & Tyler 1977) differ only in betamethasone: 0.6 mg.
US_EQUIVALENT_TO_5_MG_PREDNISONE: dict[str, Decimal] = {
    **BNF_EQUIVALENT_TO_5_MG_PREDNISONE,
    "betamethasone": Decimal("0.6"),
}
PREDNISONE_REFERENCE_MG = Decimal("5")

EQUIVALENCE_TABLES: dict[str, dict[str, Decimal]] = {
    "BNF": BNF_EQUIVALENT_TO_5_MG_PREDNISONE,
    "US": US_EQUIVALENT_TO_5_MG_PREDNISONE,
}
GLUCOCORTICOIDS: frozenset[str] = frozenset(BNF_EQUIVALENT_TO_5_MG_PREDNISONE)


class Route(StrEnum):
    ORAL = "oral"
    INTRAVENOUS = "iv"
    INTRAMUSCULAR = "im"
    SUBCUTANEOUS = "sc"
    TOPICAL = "topical"
    INHALED = "inhaled"
    INTRA_ARTICULAR = "intra-articular"
    OTHER = "other"


# reference/clinical.md §2: only systemic (oral/IV/IM) doses count toward prednisone-equivalent dose.
SYSTEMIC_ROUTES: frozenset[Route] = frozenset({Route.ORAL, Route.INTRAVENOUS, Route.INTRAMUSCULAR})


def is_glucocorticoid(drug: str) -> bool:
    return drug in GLUCOCORTICOIDS


def mean_daily_dose_mg(dose_mg: Decimal, times_per_day: Decimal, every_n_days: int) -> Decimal:
    """Mean daily dose of a regimen: 60 mg every other day is 30 mg/day."""
    return dose_mg * times_per_day / every_n_days


def prednisone_equivalent_mg(drug: str, daily_mg: Decimal, table: Literal["BNF", "US"] = "BNF") -> Decimal:
    """Prednisone-equivalent mg/day of `daily_mg` of a glucocorticoid, by the chosen table.

    >>> prednisone_equivalent_mg("dexamethasone", Decimal("4.5")) == 30
    True
    >>> prednisone_equivalent_mg("methylprednisolone", Decimal("6")) == Decimal("7.5")
    True
    """
    equivalents = EQUIVALENCE_TABLES[table]
    if drug not in equivalents:
        raise KeyError(f"{drug!r} is not a glucocorticoid in the {table} table")
    return daily_mg * PREDNISONE_REFERENCE_MG / equivalents[drug]
