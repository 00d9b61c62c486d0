from decimal import Decimal

import pytest

from cartrial.errors import InputError
from cartrial.safety import IggResult, LabResult, assess_hypogammaglobulinaemia, grade_lab
from cartrial.safety.labs import LabTest
from cartrial.safety.result import parse_input


def _lab(
    test: LabTest,
    value: str,
    unit: str,
    *,
    lln: str | None = None,
    uln: str | None = None,
    baseline: str | None = None,
) -> LabResult:
    return LabResult(
        test=test,
        value=Decimal(value),
        unit=unit,
        lower_limit=None if lln is None else Decimal(lln),
        upper_limit=None if uln is None else Decimal(uln),
        baseline=None if baseline is None else Decimal(baseline),
    )


@pytest.mark.parametrize(
    ("value", "unit", "grade"),
    [
        ("1800", "/µL", 0),
        ("1799", "/uL", 1),
        ("1500", "cells/mm3", 1),
        ("1499", "/µL", 2),
        ("1000", "/µL", 2),
        ("999", "/µL", 3),
        ("500", "/µL", 3),
        ("499", "/µL", 4),
        ("0.5", "10^9/L", 3),
        ("0.499", "x10^9/L", 4),
        ("0.5", "10*3/uL", 3),
        ("0", "10^9/L", 4),
    ],
)
def test_neutrophils_with_lln_1_8_in_several_units(value: str, unit: str, grade: int) -> None:
    lln = {"/µL": "1800", "/uL": "1800", "cells/mm3": "1800"}.get(unit, "1.8")
    result = grade_lab(_lab("neutrophils", value, unit, lln=lln))
    assert result.grade == grade
    assert result.scale == "CTCAE v5.0: Neutrophil count decreased"


@pytest.mark.parametrize(
    ("test", "value", "grade"),
    [
        ("platelets", "75", 1),
        ("platelets", "74.9", 2),
        ("platelets", "50", 2),
        ("platelets", "49", 3),
        ("platelets", "25", 3),
        ("platelets", "24", 4),
        ("wbc", "3.0", 1),
        ("wbc", "2.99", 2),
        ("wbc", "2.0", 2),
        ("wbc", "1.99", 3),
        ("wbc", "1.0", 3),
        ("wbc", "0.99", 4),
        ("lymphocytes", "0.8", 1),
        ("lymphocytes", "0.79", 2),
        ("lymphocytes", "0.5", 2),
        ("lymphocytes", "0.49", 3),
        ("lymphocytes", "0.2", 3),
        ("lymphocytes", "0.19", 4),
    ],
)
def test_count_decreases_at_each_boundary(test: LabTest, value: str, grade: int) -> None:
    lln = {"platelets": "125", "wbc": "3.5", "lymphocytes": "1.1"}[test]
    assert grade_lab(_lab(test, value, "10^9/L", lln=lln)).grade == grade


@pytest.mark.parametrize(
    ("value", "unit", "grade"),
    [
        ("12.0", "g/dL", 0),
        ("11.9", "g/dL", 1),
        ("100", "g/L", 1),
        ("99", "g/L", 2),
        ("80", "g/L", 2),
        ("7.9", "g/dL", 3),
    ],
)
def test_anaemia_g_per_l_converted_to_g_per_dl(value: str, unit: str, grade: int) -> None:
    lln = "12.0" if unit == "g/dL" else "120"
    result = grade_lab(_lab("haemoglobin", value, unit, lln=lln))
    assert (result.grade, result.scale) == (grade, "CTCAE v5.0: Anemia")


@pytest.mark.parametrize(
    ("value", "baseline", "grade", "domain"),
    [
        ("40", "20", 0, "× ULN"),
        ("40.01", "20", 1, "× ULN"),
        ("120", "20", 1, "× ULN"),
        ("120.01", "20", 2, "× ULN"),
        ("200", "20", 2, "× ULN"),
        ("200.4", "20", 3, "× ULN"),
        ("800", "20", 3, "× ULN"),
        ("800.4", "20", 4, "× ULN"),
        # Abnormal baseline 60 (> ULN 40): graded × baseline; 1.5 × baseline is grade 1 inclusive.
        ("89", "60", 0, "× baseline"),
        ("90", "60", 1, "× baseline"),
        ("180", "60", 1, "× baseline"),
        ("181", "60", 2, "× baseline"),
        ("300", "60", 2, "× baseline"),
        ("301", "60", 3, "× baseline"),
        ("1201", "60", 4, "× baseline"),
    ],
)
def test_alt_normal_and_abnormal_baseline(value: str, baseline: str, grade: int, domain: str) -> None:
    result = grade_lab(_lab("alt", value, "U/L", uln="40", baseline=baseline))
    assert result.grade == grade
    assert result.drivers[0].domain == domain


def test_alt_5_0_vs_5_01_times_uln_and_ast_same_scale() -> None:
    assert grade_lab(_lab("alt", "5.0", "U/L", uln="1", baseline="1")).grade == 2
    assert grade_lab(_lab("alt", "5.01", "U/L", uln="1", baseline="1")).grade == 3
    assert grade_lab(_lab("ast", "5.01", "IU/L", uln="1", baseline="1")).grade == 3
    assert grade_lab(_lab("ast", "0.301", "µkat/L", uln="0.1", baseline="0.05")).grade == 2


@pytest.mark.parametrize(
    ("value", "baseline", "grade"),
    [
        ("1.8", "0.6", 1),  # exactly 1.5 × ULN; in floating point 1.8 > 1.5 * 1.2 (grade 2)
        ("1.81", "0.6", 2),
        ("3.6", "0.6", 2),
        ("3.61", "0.6", 3),
        ("12.0", "0.6", 3),
        ("12.01", "0.6", 4),
        ("2.0", "2.0", 0),  # abnormal baseline: not above 1.0 × baseline
        ("2.01", "2.0", 1),
        ("3.0", "2.0", 1),
        ("3.01", "2.0", 2),
    ],
)
def test_bilirubin_exact_boundaries(value: str, baseline: str, grade: int) -> None:
    assert grade_lab(_lab("bilirubin", value, "mg/dL", uln="1.2", baseline=baseline)).grade == grade


def test_bilirubin_1_8_over_1_2_is_exactly_1_5_in_floating_point_it_is_not() -> None:
    assert 1.8 > 1.5 * 1.2  # the naive comparison this grading must not make
    assert grade_lab(_lab("bilirubin", "1.8", "mg/dL", uln="1.2", baseline="1.0")).grade == 1


@pytest.mark.parametrize(
    ("value", "baseline", "grade"),
    [
        ("250", "100", 1),
        ("250.1", "100", 2),
        ("500", "100", 2),
        ("500.1", "100", 3),
        ("2000.1", "100", 4),
        ("399", "200", 0),  # abnormal baseline 200 (> ULN 100): grade 1 starts at 2.0 × baseline
        ("400", "200", 1),
        ("500", "200", 1),
        ("501", "200", 2),
    ],
)
def test_alkaline_phosphatase(value: str, baseline: str, grade: int) -> None:
    assert grade_lab(_lab("alp", value, "U/L", uln="100", baseline=baseline)).grade == grade


@pytest.mark.parametrize(
    ("value", "baseline", "grade", "domains"),
    [
        ("100", "80", 0, ["× ULN", "× baseline"]),
        ("101", "80", 1, ["× ULN"]),
        ("150", "100", 1, ["× ULN"]),
        ("151", "120", 2, ["× ULN"]),
        ("91", "60", 2, ["× baseline"]),  # within normal but > 1.5 × baseline: CTCAE's baseline criterion
        ("300", "60", 3, ["× baseline"]),
        ("301", "60", 3, ["× ULN", "× baseline"]),
        ("181", "60", 3, ["× baseline"]),
        ("600", "300", 3, ["× ULN"]),
        ("601", "300", 4, ["× ULN"]),
    ],
)
def test_creatinine_worse_of_uln_and_baseline(
    value: str, baseline: str, grade: int, domains: list[str]
) -> None:
    result = grade_lab(_lab("creatinine", value, "µmol/L", uln="100", baseline=baseline))
    assert result.grade == grade
    assert [d.domain for d in result.drivers] == domains


@pytest.mark.parametrize(
    ("value", "unit", "baseline", "grade"),
    [
        ("200", "mg/dL", "300", 0),
        ("199", "mg/dL", "300", 1),
        ("150", "mg/dL", "300", 1),
        ("149", "mg/dL", "300", 2),
        ("1.0", "g/L", "3", 2),
        ("0.99", "g/L", "3", 3),
        ("0.5", "g/L", "3", 3),
        ("0.49", "g/L", "3", 4),
        # Abnormal baseline 160 mg/dL (< LLN 200): graded by the fall from baseline.
        ("160", "mg/dL", "160", 1),
        ("121", "mg/dL", "160", 1),
        ("120", "mg/dL", "160", 2),
        ("81", "mg/dL", "160", 2),
        ("80", "mg/dL", "160", 3),
        ("41", "mg/dL", "160", 4),
        ("200", "mg/dL", "160", 0),
    ],
)
def test_fibrinogen(value: str, unit: str, baseline: str, grade: int) -> None:
    lln = "200" if unit == "mg/dL" else "2"
    assert grade_lab(_lab("fibrinogen", value, unit, lln=lln, baseline=baseline)).grade == grade


def test_fibrinogen_below_50_mg_per_dl_is_grade_4_even_with_small_fall() -> None:
    result = grade_lab(_lab("fibrinogen", "49", "mg/dL", lln="200", baseline="60"))
    assert result.grade == 4
    assert "below 50 mg/dL" in result.drivers[0].finding
    assert grade_lab(_lab("fibrinogen", "50", "mg/dL", lln="200", baseline="60")).grade == 1


def _raw(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "test": "neutrophils",
        "value": Decimal("0.4"),
        "unit": "10^9/L",
        "lower_limit": Decimal("1.8"),
        "upper_limit": None,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("unit", ["furlongs", "1e9/L", "g/L", "mmol", ""])
def test_unknown_or_wrong_unit_names_the_unit_field(unit: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_input(LabResult, _raw(unit=unit), "lab.json")
    assert [e.field for e in exc.value.errors] == ["unit"]


def test_missing_limit_or_baseline_names_the_field() -> None:
    with pytest.raises(InputError) as exc:
        parse_input(LabResult, _raw(lower_limit=None), "lab.json")
    assert [e.field for e in exc.value.errors] == ["lower_limit"]
    with pytest.raises(InputError) as exc:
        parse_input(LabResult, _raw(test="alt", unit="U/L", upper_limit=Decimal("40")), "lab.json")
    assert [e.field for e in exc.value.errors] == ["baseline"]
    with pytest.raises(InputError) as exc:
        parse_input(LabResult, _raw(test="alt", unit="U/L", baseline=Decimal("20")), "lab.json")
    assert [e.field for e in exc.value.errors] == ["upper_limit"]


@pytest.mark.parametrize(
    ("value", "unit", "present"),
    [("3.99", "g/L", True), ("4", "g/L", False), ("399", "mg/dL", True), ("400", "mg/dL", False)],
)
def test_hypogammaglobulinaemia_below_4_g_per_l(value: str, unit: str, present: bool) -> None:
    finding = assess_hypogammaglobulinaemia(IggResult(value=Decimal(value), unit=unit))
    assert finding.present is present


def test_hypogammaglobulinaemia_threshold_is_a_setting() -> None:
    finding = assess_hypogammaglobulinaemia(IggResult(value=Decimal("4.5"), unit="g/L"), Decimal("5"))
    assert finding.present


def test_json_numbers_stay_exact_through_pydantic() -> None:
    text = (
        '{"test": "bilirubin", "value": 1.8, "unit": "mg/dL", '
        '"lower_limit": null, "upper_limit": 1.2, "baseline": 0.6}'
    )
    assert grade_lab(LabResult.model_validate_json(text)).grade == 1
