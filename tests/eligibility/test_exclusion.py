from typing import Any

import pytest

from cartrial.eligibility import Outcome
from tests.eligibility.conftest import Record, criterion
from tests.eligibility.test_inclusion import HCQ, days_before, steroid


def lab(test: str, value: Any, unit: str, when: str = "2026-10-21") -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "result_date": when}


def with_lab(base: Record, entry: dict[str, Any]) -> Record:
    base["labs"] = [x for x in base["labs"] if x["test"] != entry["test"]] + [entry]
    return base


@pytest.mark.parametrize(
    ("value", "unit", "outcome"),
    [
        (221, "umol/L", Outcome.NOT_MET),  # exactly the limit is not severe
        (222, "umol/L", Outcome.MET),
        (2.5, "mg/dL", Outcome.NOT_MET),
        (2.51, "mg/dL", Outcome.MET),
        (0.221, "mmol/L", Outcome.NOT_MET),  # molar, compared against 221 µmol/L
        (0.222, "mmol/L", Outcome.MET),
        (25, "mg/L", Outcome.NOT_MET),  # mass, compared against 2.5 mg/dL
        (25.1, "mg/L", Outcome.MET),
    ],
)
def test_creatinine_in_the_reported_unit(base: Record, value: float, unit: str, outcome: Outcome) -> None:
    result = criterion(with_lab(base, lab("creatinine", value, unit)), "exc-1-severe-nephritis")
    assert result.outcome is outcome


@pytest.mark.parametrize(
    ("value", "unit", "outcome"),
    [(6, "g/24h", Outcome.NOT_MET), (6.01, "g/24h", Outcome.MET), (6001, "mg/24h", Outcome.MET)],
)
def test_proteinuria_above_6_g_per_24h(base: Record, value: float, unit: str, outcome: Outcome) -> None:
    result = criterion(with_lab(base, lab("urine_protein_24h", value, unit)), "exc-1-severe-nephritis")
    assert result.outcome is outcome


def test_protein_creatinine_ratio_is_not_24h_protein(base: Record) -> None:
    base["labs"] = [x for x in base["labs"] if x["test"] != "urine_protein_24h"]
    base["labs"].append(lab("urine_protein_creatinine_ratio", 7, "g/g"))
    result = criterion(base, "exc-1-severe-nephritis")
    assert result.outcome is Outcome.UNKNOWN
    assert result.missing == ("labs: urine_protein_24h dated within 28 days before screening",)


def test_nephritis_any_marker_decides_even_with_others_unknown(base: Record) -> None:
    base["labs"] = [lab("creatinine", 300, "umol/L")]
    base["medications"] = None
    base["dialysis"] = None
    assert criterion(base, "exc-1-severe-nephritis").outcome is Outcome.MET


def test_haemodialysis_recent_or_ongoing(base: Record) -> None:
    base["dialysis"] = [{"onset_date": "2026-01-01", "end_date": days_before(57)}]
    assert criterion(base, "exc-1-severe-nephritis").outcome is Outcome.NOT_MET
    base["dialysis"] = [{"onset_date": "2026-01-01", "end_date": days_before(56)}]
    assert criterion(base, "exc-1-severe-nephritis").outcome is Outcome.MET
    base["dialysis"] = [{"onset_date": "2026-10-01"}]
    assert criterion(base, "exc-1-severe-nephritis").outcome is Outcome.MET


@pytest.mark.parametrize(("days", "outcome"), [(14, Outcome.MET), (13, Outcome.NOT_MET)])
def test_high_dose_glucocorticoid_14_days_within_8_weeks(base: Record, days: int, outcome: Outcome) -> None:
    # methylprednisolone 80 mg = prednisone 100 mg; the window is screening-56 .. screening-1
    base["medications"] = [
        steroid(80, days_before(56), drug="methylprednisolone", stop_date=days_before(57 - days)),
        steroid(10, days_before(56 - days), stop_date=None),
        HCQ,
    ]
    assert criterion(base, "exc-1-severe-nephritis").outcome is outcome


def test_high_dose_days_before_the_window_do_not_count(base: Record) -> None:
    base["medications"] = [
        steroid(100, days_before(80), stop_date=days_before(44)),  # 37 days, 13 inside the window
        steroid(10, days_before(43)),
        HCQ,
    ]
    result = criterion(base, "exc-1-severe-nephritis")
    assert result.outcome is Outcome.NOT_MET
    assert any(e.value.startswith("13 days") for e in result.evidence)


def test_high_dose_sums_concurrent_glucocorticoids_on_window_days(base: Record) -> None:
    # Two 50 mg periods together are 100 mg/day on the 14 days they overlap inside the window.
    base["medications"] = [
        steroid(50, days_before(100)),
        steroid(50, days_before(30), drug="prednisolone", stop_date=days_before(17)),
        HCQ,
    ]
    result = criterion(base, "exc-1-severe-nephritis")
    assert result.outcome is Outcome.MET
    assert any(e.value.startswith("14 days at >= 100 mg/day") for e in result.evidence)


def test_high_dose_ignores_periods_outside_the_window_even_undosed(base: Record) -> None:
    # An undosed glucocorticoid that ended before the window leaves the corticosteroid inclusion unknown
    # but not this exclusion; a high dose started on the screening day is after the window.
    undosed = {
        "drug": "dexamethasone",
        "route": "iv",
        "start_date": "2025-01-01",
        "stop_date": days_before(57),
    }
    base["medications"] = [undosed, steroid(10, days_before(200)), steroid(200, days_before(0)), HCQ]
    result = criterion(base, "exc-1-severe-nephritis")
    assert result.outcome is Outcome.NOT_MET
    assert any(e.value.startswith("0 days at >= 100 mg/day") for e in result.evidence)
    assert criterion(base, "inc-4-corticosteroid").missing == ("medications.0.dose",)


def test_prohibited_nephritis_drug_needs_active_nephritis() -> None:
    from cartrial.data import embedded_protocol
    from cartrial.eligibility import parse_screening_record, screen
    from tests.eligibility.conftest import EXAMPLE, TODAY

    protocol = embedded_protocol()
    params = protocol.eligibility.model_copy(update={"prohibited_nephritis_drugs": ("voclosporin",)})
    amended = protocol.model_copy(update={"eligibility": params})
    import json

    record: dict[str, Any] = json.loads(EXAMPLE.read_text())
    record["medications"].append(
        {"drug": "voclosporin", "route": "oral", "dose": 23.7, "dose_unit": "mg", "start_date": "2026-10-01"}
    )
    for active, outcome in [(True, Outcome.MET), (False, Outcome.NOT_MET), (None, Outcome.UNKNOWN)]:
        record["lupus_nephritis_active"] = active
        result = screen(parse_screening_record(json.dumps(record), "t", TODAY), amended)
        nephritis = next(c for c in result.criteria if c.id == "exc-1-severe-nephritis")
        assert nephritis.outcome is outcome


@pytest.mark.parametrize(
    ("end", "outcome"),
    [(None, Outcome.MET), (days_before(56), Outcome.MET), (days_before(57), Outcome.NOT_MET)],
)
def test_lupus_crisis_lookback(base: Record, end: str | None, outcome: Outcome) -> None:
    base["lupus_crises"] = [
        {"kind": "severe_haemolytic_anaemia", "onset_date": "2025-01-01", "end_date": end}
    ]
    assert criterion(base, "exc-2-lupus-crisis").outcome is outcome


def test_lupus_seizure_is_a_crisis_not_a_non_lupus_cns_disease(base: Record) -> None:
    base["cns_disorders"] = [
        {
            "kind": "convulsions",
            "caused_by_lupus": True,
            "onset_date": days_before(10),
            "end_date": days_before(9),
        }
    ]
    assert criterion(base, "exc-2-lupus-crisis").outcome is Outcome.MET
    assert criterion(base, "exc-3-cns-disease").outcome is Outcome.NOT_MET


@pytest.mark.parametrize(
    ("caused_by_lupus", "significant", "outcome"),
    [(False, True, Outcome.MET), (None, True, Outcome.UNKNOWN), (False, False, Outcome.NOT_MET)],
)
def test_non_lupus_cns_disease(
    base: Record, caused_by_lupus: Any, significant: bool, outcome: Outcome
) -> None:
    base["cns_disorders"] = [
        {
            "kind": "epilepsy",
            "caused_by_lupus": caused_by_lupus,
            "clinically_significant": significant,
            "onset_date": "2001-01-01",
        }
    ]
    result = criterion(base, "exc-3-cns-disease")
    assert result.outcome is outcome
    if outcome is Outcome.UNKNOWN:
        assert result.missing == ("cns_disorders.0.caused_by_lupus",)


def test_other_autoimmune_disease_needing_systemic_treatment(base: Record) -> None:
    base["other_autoimmune_diseases"] = [{"name": "Hashimoto thyroiditis", "needs_systemic_treatment": False}]
    assert criterion(base, "exc-4-other-autoimmune").outcome is Outcome.NOT_MET
    base["other_autoimmune_diseases"].append({"name": "Sjögren syndrome", "needs_systemic_treatment": True})
    assert criterion(base, "exc-4-other-autoimmune").outcome is Outcome.MET
    base["other_autoimmune_diseases"] = None
    assert criterion(base, "exc-4-other-autoimmune").missing == ("other_autoimmune_diseases",)


@pytest.mark.parametrize(
    ("transplant", "outcome"),
    [
        ({"kind": "organ", "organ": "kidney"}, Outcome.MET),
        ({"kind": "haematopoietic_stem_cell"}, Outcome.MET),
        ({"kind": "organ", "organ": "other"}, Outcome.NOT_MET),
    ],
)
def test_transplant(base: Record, transplant: dict[str, Any], outcome: Outcome) -> None:
    base["transplants"] = [transplant]
    assert criterion(base, "exc-5-transplant").outcome is outcome


@pytest.mark.parametrize(
    ("value", "unit", "outcome"),
    [
        (10, "mg/dL", Outcome.NOT_MET),
        (9.9, "mg/dL", Outcome.MET),
        (0.1, "g/L", Outcome.NOT_MET),
        (0.099, "g/L", Outcome.MET),
        (100, "mg/L", Outcome.NOT_MET),
    ],
)
def test_iga_deficiency_below_10_mg_dl(base: Record, value: float, unit: str, outcome: Outcome) -> None:
    assert criterion(with_lab(base, lab("iga", value, unit)), "exc-6-iga-deficiency").outcome is outcome


def test_latest_lab_in_window_counts(base: Record) -> None:
    base["labs"] = [lab("iga", 0.05, "g/L", days_before(20)), lab("iga", 1.5, "g/L", days_before(3))]
    assert criterion(base, "exc-6-iga-deficiency").outcome is Outcome.NOT_MET
    base["labs"] = [lab("iga", 0.05, "g/L", days_before(29))]
    result = criterion(base, "exc-6-iga-deficiency")
    assert result.outcome is Outcome.UNKNOWN
    assert result.missing == ("labs: iga dated within 28 days before screening",)
