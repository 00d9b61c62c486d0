from decimal import Decimal

import pytest

from cartrial.clinical.glucocorticoids import mean_daily_dose_mg, prednisone_equivalent_mg


@pytest.mark.parametrize(
    ("drug", "mg", "table", "expected"),
    [
        ("prednisolone", "5", "BNF", "5"),
        ("methylprednisolone", "4", "BNF", "5"),
        ("triamcinolone", "4", "BNF", "5"),
        ("hydrocortisone", "20", "BNF", "5"),
        ("cortisone", "25", "BNF", "5"),
        ("dexamethasone", "0.75", "BNF", "5"),
        ("betamethasone", "0.75", "BNF", "5"),
        ("betamethasone", "0.6", "US", "5"),
        ("deflazacort", "6", "BNF", "5"),
        ("methylprednisolone", "80", "BNF", "100"),
    ],
)
def test_equivalent_doses(drug: str, mg: str, table: str, expected: str) -> None:
    assert prednisone_equivalent_mg(drug, Decimal(mg), table) == Decimal(expected)  # type: ignore[arg-type]


def test_not_a_glucocorticoid() -> None:
    with pytest.raises(KeyError):
        prednisone_equivalent_mg("hydroxychloroquine", Decimal(200))


def test_alternate_day_regimen_is_its_mean() -> None:
    assert mean_daily_dose_mg(Decimal(60), Decimal(1), 2) == 30
