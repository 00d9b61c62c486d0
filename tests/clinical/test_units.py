from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.clinical.units import Analyte, convert, format_decimal, is_molar, to_canonical
from cartrial.errors import InputError


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected"),
    [
        (Analyte.CREATININE, "2.5", "mg/dL", "221"),  # 2.5 x 88.4 (clinical.md §1)
        (Analyte.CREATININE, "1", "mg/dL", "88.4"),
        (Analyte.CREATININE, "0.221", "mmol/L", "221"),
        (Analyte.CREATININE, "221", "µmol/L", "221"),
        (Analyte.IGA, "10", "mg/dL", "0.1"),
        (Analyte.IGA, "100", "mg/L", "0.1"),
        (Analyte.URINE_PROTEIN_24H, "6000", "mg/24h", "6"),
        (Analyte.URINE_PROTEIN_24H, "6", "g/d", "6"),
        (Analyte.PLATELETS, "100000", "/µL", "100"),
        (Analyte.PLATELETS, "100000", "/mm3", "100"),
        (Analyte.PLATELETS, "100", "10^3/µL", "100"),
        (Analyte.NEUTROPHILS, "0.5", "x10^9/L", "0.5"),
        (Analyte.HAEMOGLOBIN, "8.5", "g/dL", "85"),
        (Analyte.C3, "90", "mg/dL", "0.9"),
    ],
)
def test_conversions_to_canonical_units(analyte: Analyte, value: str, unit: str, expected: str) -> None:
    assert to_canonical(analyte, Decimal(value), unit) == Decimal(expected)


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        (Analyte.URINE_PROTEIN_24H, "mg/mg"),  # a protein/creatinine ratio is a different test
        (Analyte.URINE_PROTEIN_24H, "g/L"),
        (Analyte.IGA, "mmol/L"),
        (Analyte.CREATININE, "g/day"),
        (Analyte.PLATELETS, "g/L"),
        (Analyte.IGA, "bananas/L"),
    ],
)
def test_unknown_or_mismatched_units_name_the_field(analyte: Analyte, unit: str) -> None:
    with pytest.raises(InputError) as exc:
        to_canonical(analyte, Decimal(1), unit, "labs.3.unit")
    assert exc.value.errors[0].field == "labs.3.unit"


def test_molar_and_mass_creatinine_units() -> None:
    assert is_molar("umol/L") and is_molar("mmol/L")
    assert not is_molar("mg/dL")


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=3))
def test_unit_round_trip_is_identity(value: Decimal) -> None:
    there = convert(value, "mg/dL", "g/L")
    assert convert(there, "g/L", "mg/dL") == value
    counts = convert(value, "1/uL", "1/nL")
    assert convert(counts, "1/nL", "1/uL") == value


def test_format_decimal() -> None:
    assert format_decimal(Decimal("221.00")) == "221"
    assert format_decimal(Decimal("3E+1")) == "30"


@pytest.mark.parametrize("unit", ["10⁹/L", "/mm³", "cells/mm³"])
def test_superscript_powers_are_read(unit: str) -> None:
    value = Decimal(150) if unit == "10⁹/L" else Decimal(150_000)
    assert to_canonical(Analyte.PLATELETS, value, unit) == 150


@pytest.mark.parametrize("unit", ["(", "1/0", "0/0", "\x01", ""])
def test_malformed_unit_text_is_bad_input_not_a_crash(unit: str) -> None:
    with pytest.raises(InputError):
        to_canonical(Analyte.IGA, Decimal(1), unit, "labs.0.unit")
