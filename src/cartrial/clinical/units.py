"""Lab values with units: parse a unit as written on a lab report and convert it, once, to the
analyte's canonical unit (reference/clinical.md §1).

Dimensional conversion is pint's (a well-kept units library), never a hand table of factors; the only
hand factor is the creatinine mass-to-molar bridge, which is chemistry, not units. A unit pint does not
know, or one of the wrong dimension for the analyte, is an `InputError` naming the field.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from cartrial.errors import InputError

if TYPE_CHECKING:
    import pint


@lru_cache(maxsize=1)
def unit_registry() -> pint.UnitRegistry[Decimal]:
    """pint's registry in decimal arithmetic, built once on first use (it takes about half a second)."""
    import pint

    return pint.UnitRegistry(non_int_type=Decimal)


# Creatinine 1 mg/dL = 88.4 µmol/L: the conventional SI factor (molar mass 113.12 g/mol),
# reference/clinical.md §1 ("2.5 mg/dL ≈ 221 µmol/L").
CREATININE_UMOL_PER_L_PER_MG_PER_DL = Decimal("88.4")

# Spellings seen on lab reports that pint cannot read as written (a scale factor inside a unit,
# "24h" for a day). These rewrite notation only; pint does every conversion.
_SPELLINGS: dict[str, str] = {
    "10^9/l": "1/nL",
    "x10^9/l": "1/nL",
    "×10^9/l": "1/nL",
    "10*9/l": "1/nL",
    "10e9/l": "1/nL",
    "10*3/ul": "1/nL",
    "10*3/µl": "1/nL",
    "10^3/ul": "1/nL",
    "10^3/µl": "1/nL",
    "x10^3/ul": "1/nL",
    "x10^3/µl": "1/nL",
    "k/ul": "1/nL",
    "k/µl": "1/nL",
    "/ul": "1/uL",
    "/µl": "1/uL",
    "cells/ul": "1/uL",
    "cells/µl": "1/uL",
    "/mm3": "1/mm**3",
    "/mm^3": "1/mm**3",
    "cells/mm3": "1/mm**3",
    "cells/mm^3": "1/mm**3",
    "g/24h": "g/day",
    "mg/24h": "mg/day",
    "g/24 h": "g/day",
    "mg/24 h": "mg/day",
    "g/d": "g/day",
    "mg/d": "mg/day",
    "iu/ml": "1/mL",
    "iu/l": "U/L",
    "/l": "1/L",
    "u/ml": "1/mL",
    "°c": "degC",
    "c": "degC",
}


# Lab reports write powers as superscripts ("10⁹/L", "/mm³"): read them as "^9", "^3".
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def _plain_powers(unit: str) -> str:
    return _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT_DIGITS), unit)


class Analyte(StrEnum):
    """The lab tests cartrial reads, each with one canonical unit."""

    CREATININE = "creatinine"
    URINE_PROTEIN_24H = "urine_protein_24h"
    URINE_PROTEIN_CREATININE_RATIO = "urine_protein_creatinine_ratio"
    IGA = "iga"
    IGG = "igg"
    IGM = "igm"
    C3 = "c3"
    C4 = "c4"
    NEUTROPHILS = "neutrophils"
    LYMPHOCYTES = "lymphocytes"
    WHITE_CELLS = "white_cells"
    PLATELETS = "platelets"
    HAEMOGLOBIN = "haemoglobin"
    ANTI_DSDNA = "anti_dsdna"


# Canonical units (reference/clinical.md §1). Counts are per nanolitre, i.e. 10^9/L.
CANONICAL_UNIT: dict[Analyte, str] = {
    Analyte.CREATININE: "umol/L",
    Analyte.URINE_PROTEIN_24H: "g/day",
    Analyte.URINE_PROTEIN_CREATININE_RATIO: "g/g",
    Analyte.IGA: "g/L",
    Analyte.IGG: "g/L",
    Analyte.IGM: "g/L",
    Analyte.C3: "g/L",
    Analyte.C4: "g/L",
    Analyte.NEUTROPHILS: "1/nL",
    Analyte.LYMPHOCYTES: "1/nL",
    Analyte.WHITE_CELLS: "1/nL",
    Analyte.PLATELETS: "1/nL",
    Analyte.HAEMOGLOBIN: "g/L",
    Analyte.ANTI_DSDNA: "1/mL",
}

DISPLAY_UNIT: dict[str, str] = {"1/nL": "10^9/L", "umol/L": "µmol/L", "g/day": "g/24 h", "1/mL": "IU/mL"}


@lru_cache(maxsize=1024)
def pint_unit(unit: str, field: str) -> pint.Unit:
    """Read a unit as written on a lab report; an unknown unit is an error naming `field`."""
    written = _plain_powers(unit.strip())
    spelled = _SPELLINGS.get(written.lower().replace(" ", ""), written)
    try:
        return unit_registry().parse_units(spelled.replace("µ", "u").replace("μ", "u"))
    except Exception:  # pint's parser raises a dozen error types on malformed text ("(", "1/0", ...)
        raise InputError.single("lab", field, f"unknown unit {unit!r}") from None


@lru_cache(maxsize=1024)
def conversion_factor(from_unit: str, to_unit: str, field: str = "unit") -> Decimal:
    """The exact decimal factor from one unit to another of the same dimension."""
    from pint.errors import DimensionalityError

    source, target = pint_unit(from_unit, field), pint_unit(to_unit, field)
    try:
        return Decimal(unit_registry().Quantity(Decimal(1), source).to(target).magnitude)
    except DimensionalityError:
        raise InputError.single(
            "lab", field, f"unit {from_unit!r} cannot be converted to {DISPLAY_UNIT.get(to_unit, to_unit)}"
        ) from None


def convert(value: Decimal, from_unit: str, to_unit: str, field: str = "unit") -> Decimal:
    """`value` in `from_unit` expressed in `to_unit` (same dimension), exactly in decimal arithmetic."""
    return value * conversion_factor(from_unit, to_unit, field)


@lru_cache(maxsize=1024)
def is_molar(unit: str, field: str = "unit") -> bool:
    """True for an amount-of-substance concentration (µmol/L), False for a mass one (mg/dL)."""
    return "[substance]" in pint_unit(unit, field).dimensionality


def to_canonical(analyte: Analyte, value: Decimal, unit: str, field: str = "unit") -> Decimal:
    """Convert a reported lab value to the analyte's canonical unit (reference/clinical.md §1)."""
    target = CANONICAL_UNIT[analyte]
    if analyte is Analyte.CREATININE and not is_molar(unit, field):
        return convert(value, unit, "mg/dL", field) * CREATININE_UMOL_PER_L_PER_MG_PER_DL
    return convert(value, unit, target, field)


def has_dimension_of(unit: str, references: tuple[str, ...], field: str = "unit") -> bool:
    """Whether `unit` has the dimension of any reference unit (e.g. 'g/L' for a mass concentration)."""
    dimensionality = pint_unit(unit, field).dimensionality
    return any(dimensionality == pint_unit(reference, field).dimensionality for reference in references)


# Memoised (a failed check raises, and is not cached): every lab result of every record is checked.
@lru_cache(maxsize=1024)
def check_unit(analyte: Analyte, unit: str, field: str = "unit") -> None:
    """Raise `InputError` unless `unit` is known and convertible to the analyte's canonical unit."""
    to_canonical(analyte, Decimal(1), unit, field)


def format_decimal(value: Decimal) -> str:
    """A decimal as a person writes it: no exponent, no trailing zeros ('30', '7.5', '0.1').

    >>> format_decimal(Decimal("3E+1")), format_decimal(Decimal("221.00")), format_decimal(Decimal("0.10"))
    ('30', '221', '0.1')
    """
    return f"{value.normalize():f}"


def display_unit(analyte: Analyte) -> str:
    unit = CANONICAL_UNIT[analyte]
    return DISPLAY_UNIT.get(unit, unit)
