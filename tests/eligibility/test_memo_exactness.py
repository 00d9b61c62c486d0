"""Memoised phrasing is exact: equal values written alike share an entry, 0 and -0 (equal, written
differently) do not, whatever was screened before."""

from typing import Any

import pytest

from .conftest import Record, criterion


def _with_lab(base: Record, test: str, value: Any, unit: str) -> Record:
    for lab in base["labs"]:
        if lab["test"] == test:
            lab["value"], lab["unit"] = value, unit
    return base


IGA_TEXTS = [
    (6, "6 mg/dL (= 0.06 g/L) on 2026-10-21"),
    (6.0, "6 mg/dL (= 0.06 g/L) on 2026-10-21"),
    (-0.0, "-0 mg/dL (= -0 g/L) on 2026-10-21"),
    (0, "0 mg/dL (= 0 g/L) on 2026-10-21"),
    (-0.0, "-0 mg/dL (= -0 g/L) on 2026-10-21"),
    (10.00, "10 mg/dL (= 0.1 g/L) on 2026-10-21"),
]


@pytest.mark.parametrize("order", [1, -1])
def test_iga_text_follows_each_value_in_any_order(base: Record, order: int) -> None:
    for value, text in IGA_TEXTS[::order]:
        record = _with_lab(base, "iga", value, "mg/dL")
        assert criterion(record, "exc-6-iga-deficiency").evidence[0].value == text


CREATININE_TEXTS = [
    (2.5, "mg/dL", "2.5 mg/dL on 2026-10-21 (reported 2.5 mg/dL)"),
    (2.50, "mg/dL", "2.5 mg/dL on 2026-10-21 (reported 2.5 mg/dL)"),
    (0, "mg/dL", "0 mg/dL on 2026-10-21 (reported 0 mg/dL)"),
    (-0.0, "mg/dL", "-0 mg/dL on 2026-10-21 (reported -0 mg/dL)"),
    (0.221, "mmol/L", "221 µmol/L on 2026-10-21 (reported 0.221 mmol/L)"),
]


@pytest.mark.parametrize("order", [1, -1])
def test_creatinine_text_follows_each_value_in_any_order(base: Record, order: int) -> None:
    for value, unit, text in CREATININE_TEXTS[::order]:
        record = _with_lab(base, "creatinine", value, unit)
        assert criterion(record, "exc-1-severe-nephritis").evidence[1].value == text
