"""Classification-criteria items derived from raw values with units (reference/clinical.md §4, §1).

Each helper reads one value as the lab reported it, converts it once with `cartrial.clinical.units`
(pint), and compares it with the source's threshold *in the source's own unit*, exactly in decimal
arithmetic: 4.0 ×10⁹/L is 4,000/mm³ and is not leukopenia (< 4,000/mm³). An unknown unit, a unit of the
wrong dimension, a negative or non-finite value is an `InputError` naming the field.

A 24-hour urine protein and a spot protein/creatinine ratio are different tests with different
helpers: the 24-hour helpers reject a ratio unit (mg/mg has the wrong dimension), and only SLICC 2012
and EULAR/ACR 2019 have a ratio helper, because only they accept an equivalent ratio.

>>> is_leukopenic(4.0, "10^9/L"), is_leukopenic(3999, "/mm3")
(False, True)
>>> has_proteinuria_slicc2012(500, "mg/24h"), has_proteinuria_eular_acr2019(500, "mg/24h")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from cartrial.clinical.tristate import Tristate
from cartrial.clinical.units import convert, pint_unit
from cartrial.errors import InputError

Number = Decimal | int | float
_T = TypeVar("_T")

# Leukopenia < 4,000/mm³: ACR 1997 (Tan et al. 1982, revised by Hochberg 1997), SLICC 2012
# (Petri et al. 2012) and EULAR/ACR 2019 (Aringer et al. 2019) all use this threshold.
LEUKOPENIA_BELOW_PER_MM3 = Decimal(4_000)
# Thrombocytopenia < 100,000/mm³: the same three sources.
THROMBOCYTOPENIA_BELOW_PER_MM3 = Decimal(100_000)
# Lymphopenia < 1,500/mm³: ACR 1997 (Tan et al. 1982).
ACR1997_LYMPHOPENIA_BELOW_PER_MM3 = Decimal(1_500)
# Lymphopenia < 1,000/mm³: SLICC 2012 (Petri et al. 2012).
SLICC2012_LYMPHOPENIA_BELOW_PER_MM3 = Decimal(1_000)
# ACR 1997 (Tan et al. 1982): leukopenia and lymphopenia count only "on 2 or more occasions".
ACR1997_CYTOPENIA_MIN_OCCASIONS = 2

# Persistent proteinuria > 0.5 g/day: ACR 1997 (Tan et al. 1982).
ACR1997_PROTEINURIA_ABOVE_G_PER_DAY = Decimal("0.5")
# Urine protein representing 500 mg/24 h (read as >= 500 mg/24 h): SLICC 2012 (Petri et al. 2012).
SLICC2012_PROTEINURIA_AT_LEAST_MG_PER_DAY = Decimal(500)
# Proteinuria > 0.5 g/24 h: EULAR/ACR 2019 (Aringer et al. 2019).
EULAR_ACR2019_PROTEINURIA_ABOVE_G_PER_DAY = Decimal("0.5")
# The ratio equivalent to 500 mg/24 h, UPCR 0.5 g/g (mg/mg): SLICC 2012 (Petri et al. 2012) accepts
# "urine protein-to-creatinine ratio representing 500 mg protein/24 h"; reference/clinical.md §1.
SLICC2012_PROTEIN_CREATININE_RATIO_AT_LEAST_G_PER_G = Decimal("0.5")
# EULAR/ACR 2019 (Aringer et al. 2019): proteinuria > 0.5 g/24 h "or equivalent spot urine
# protein-to-creatinine ratio", i.e. UPCR > 0.5 g/g (reference/clinical.md §1).
EULAR_ACR2019_PROTEIN_CREATININE_RATIO_ABOVE_G_PER_G = Decimal("0.5")

# Fever > 38.3 °C: EULAR/ACR 2019 (Aringer et al. 2019). (SLEDAI uses > 38 °C, ASTCT CRS >= 38.0 °C.)
EULAR_ACR2019_FEVER_ABOVE_DEG_C = Decimal("38.3")
# Entry criterion ANA at a titre of >= 1:80 on HEp-2 cells: EULAR/ACR 2019 (Aringer et al. 2019).
EULAR_ACR2019_ANA_MIN_TITRE = 80

_SOURCE = "classification"
_PER_MM3 = "/mm3"
_TITRE = re.compile(r"\s*1\s*:\s*(\d+)\s*")


def _decimal(value: Number, field: str, *, nonnegative: bool = True) -> Decimal:
    """The value as an exact decimal; a float is read as the decimal it prints as (38.3, not 38.29999…)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise InputError.single(_SOURCE, field, f"expected a number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise InputError.single(_SOURCE, field, f"expected a finite number, got {value!r}")
    if nonnegative and number < 0:
        raise InputError.single(_SOURCE, field, f"must not be negative, got {value!r}")
    return number


def _in_unit(value: Number, unit: str, target: str, field: str) -> Decimal:
    number = _decimal(value, field)
    if not unit.strip():
        raise InputError.single(_SOURCE, field, "a unit is required")
    return convert(number, unit, target, field)


def is_leukopenic(count: Number, unit: str, field: str = "white_cells") -> bool:
    """White cells below 4,000/mm³ (ACR 1997, SLICC 2012, EULAR/ACR 2019), in 10^9/L, /µL or /mm³."""
    return _in_unit(count, unit, _PER_MM3, field) < LEUKOPENIA_BELOW_PER_MM3


def is_thrombocytopenic(count: Number, unit: str, field: str = "platelets") -> bool:
    """Platelets below 100,000/mm³ (ACR 1997, SLICC 2012, EULAR/ACR 2019)."""
    return _in_unit(count, unit, _PER_MM3, field) < THROMBOCYTOPENIA_BELOW_PER_MM3


def is_lymphopenic_acr1997(count: Number, unit: str, field: str = "lymphocytes") -> bool:
    """Lymphocytes below 1,500/mm³ on one occasion (ACR 1997 needs two: `has_lymphopenia_acr1997`)."""
    return _in_unit(count, unit, _PER_MM3, field) < ACR1997_LYMPHOPENIA_BELOW_PER_MM3


def is_lymphopenic_slicc2012(count: Number, unit: str, field: str = "lymphocytes") -> bool:
    """Lymphocytes below 1,000/mm³ (SLICC 2012, at least once)."""
    return _in_unit(count, unit, _PER_MM3, field) < SLICC2012_LYMPHOPENIA_BELOW_PER_MM3


def _on_occasions(counts: Sequence[tuple[Number, str]], threshold: Decimal, field: str) -> Tristate:
    """Below `threshold` on >= 2 occasions; the counts given are taken as the complete history."""
    if not counts:
        return None
    low = sum(
        _in_unit(value, unit, _PER_MM3, f"{field}[{index}]") < threshold
        for index, (value, unit) in enumerate(counts)
    )
    return low >= ACR1997_CYTOPENIA_MIN_OCCASIONS


def has_leukopenia_acr1997(counts: Sequence[tuple[Number, str]], field: str = "white_cells") -> Tristate:
    """ACR 1997 leukopenia: < 4,000/mm³ on >= 2 occasions. No counts at all: unknown.

    >>> has_leukopenia_acr1997([(3.9, "10^9/L"), (3900, "/µL")]), has_leukopenia_acr1997([(3.9, "10^9/L")])
    (True, False)
    """
    return _on_occasions(counts, LEUKOPENIA_BELOW_PER_MM3, field)


def has_lymphopenia_acr1997(counts: Sequence[tuple[Number, str]], field: str = "lymphocytes") -> Tristate:
    """ACR 1997 lymphopenia: < 1,500/mm³ on >= 2 occasions. No counts at all: unknown."""
    return _on_occasions(counts, ACR1997_LYMPHOPENIA_BELOW_PER_MM3, field)


def has_proteinuria_acr1997(amount: Number, unit: str, field: str = "urine_protein_24h") -> bool:
    """ACR 1997 persistent proteinuria: 24-hour urine protein above 0.5 g/day (g/24h or mg/24h).

    ACR 1997 says nothing of a protein/creatinine ratio, so a ratio unit is rejected here.
    """
    return _in_unit(amount, unit, "g/day", field) > ACR1997_PROTEINURIA_ABOVE_G_PER_DAY


def has_proteinuria_slicc2012(amount: Number, unit: str, field: str = "urine_protein_24h") -> bool:
    """SLICC 2012 renal criterion (protein part): 24-hour urine protein of at least 500 mg."""
    return _in_unit(amount, unit, "mg/day", field) >= SLICC2012_PROTEINURIA_AT_LEAST_MG_PER_DAY


def has_proteinuria_eular_acr2019(amount: Number, unit: str, field: str = "urine_protein_24h") -> bool:
    """EULAR/ACR 2019 renal criterion: 24-hour urine protein above 0.5 g."""
    return _in_unit(amount, unit, "g/day", field) > EULAR_ACR2019_PROTEINURIA_ABOVE_G_PER_DAY


def has_ratio_proteinuria_slicc2012(
    ratio: Number, unit: str, field: str = "urine_protein_creatinine_ratio"
) -> bool:
    """SLICC 2012 renal criterion from a spot urine protein/creatinine ratio: at least 0.5 g/g (mg/mg)."""
    return _in_unit(ratio, unit, "g/g", field) >= SLICC2012_PROTEIN_CREATININE_RATIO_AT_LEAST_G_PER_G


def has_ratio_proteinuria_eular_acr2019(
    ratio: Number, unit: str, field: str = "urine_protein_creatinine_ratio"
) -> bool:
    """EULAR/ACR 2019 proteinuria from a spot urine protein/creatinine ratio: above 0.5 g/g (mg/mg)."""
    return _in_unit(ratio, unit, "g/g", field) > EULAR_ACR2019_PROTEIN_CREATININE_RATIO_ABOVE_G_PER_G


def has_fever_eular_acr2019(temperature: Number, unit: str, field: str = "temperature") -> bool:
    """EULAR/ACR 2019 fever: above 38.3 °C. The unit must be °C (the source states °C only).

    >>> has_fever_eular_acr2019(38.3, "°C"), has_fever_eular_acr2019(38.4, "degC")
    (False, True)
    """
    if pint_unit(unit, field) != pint_unit("degC", field):
        raise InputError.single(_SOURCE, field, f"unit {unit!r} is not °C")
    return _decimal(temperature, field, nonnegative=False) > EULAR_ACR2019_FEVER_ABOVE_DEG_C


def meets_eular_acr2019_ana_titre(titre: int | str, field: str = "ana_titre") -> bool:
    """The EULAR/ACR 2019 entry criterion from an ANA titre on HEp-2 cells: at least 1:80.

    The titre is its reciprocal (160) or written as a ratio ("1:160").

    >>> meets_eular_acr2019_ana_titre("1:80"), meets_eular_acr2019_ana_titre(40)
    (True, False)
    """
    if isinstance(titre, str):
        match = _TITRE.fullmatch(titre)
        if match is None:
            raise InputError.single(_SOURCE, field, f"expected a titre like '1:160', got {titre!r}")
        reciprocal = int(match.group(1))
    elif isinstance(titre, int) and not isinstance(titre, bool):
        reciprocal = titre
    else:
        raise InputError.single(_SOURCE, field, f"expected a titre, got {titre!r}")
    if reciprocal < 1:
        raise InputError.single(_SOURCE, field, f"a titre's reciprocal is at least 1, got {titre!r}")
    return reciprocal >= EULAR_ACR2019_ANA_MIN_TITRE
