from datetime import date, timedelta
from typing import Any

import pytest

from cartrial.data import embedded_protocol
from cartrial.eligibility import Outcome, Verdict, screen
from tests.eligibility.conftest import Record, criterion, parse

SCREENING = date(2026, 11, 2)


def days_before(n: int) -> str:
    return (SCREENING - timedelta(days=n)).isoformat()


def test_example_is_eligible_and_names_the_protocol(base: Record) -> None:
    result = screen(parse(base), embedded_protocol())
    assert result.verdict is Verdict.ELIGIBLE
    assert result.protocol == "relma-cel-sle-phase1@1.0"
    assert [c.id for c in result.criteria] == [
        "inc-1-consent",
        "inc-2-age",
        "inc-3-diagnosis",
        "inc-4-disease-history",
        "inc-4-corticosteroid",
        "inc-5-serology",
        "inc-6-sledai",
        "exc-1-severe-nephritis",
        "exc-2-lupus-crisis",
        "exc-3-cns-disease",
        "exc-4-other-autoimmune",
        "exc-5-transplant",
        "exc-6-iga-deficiency",
    ]


def test_no_consent_fails_consent_and_makes_age_unknown(base: Record) -> None:
    base["consent_date"] = None
    assert criterion(base, "inc-1-consent").outcome is Outcome.NOT_MET
    age = criterion(base, "inc-2-age")
    assert age.outcome is Outcome.UNKNOWN
    assert age.missing == ("consent_date",)


@pytest.mark.parametrize(
    ("birth", "consent", "outcome"),
    [
        ("2008-10-20", "2026-10-20", Outcome.MET),  # 18th birthday
        ("2008-10-21", "2026-10-20", Outcome.NOT_MET),  # day before the 18th birthday
        ("1955-10-21", "2026-10-20", Outcome.MET),  # day before the 71st birthday: still 70
        ("1955-10-20", "2026-10-20", Outcome.NOT_MET),  # 71st birthday
        ("2008-02-29", "2026-02-28", Outcome.NOT_MET),  # leap-day birth: 18 only on 1 March
        ("2008-02-29", "2026-03-01", Outcome.MET),
    ],
)
def test_age_in_whole_years_at_consent(base: Record, birth: str, consent: str, outcome: Outcome) -> None:
    base["birth_date"], base["consent_date"] = birth, consent
    base["screening_date"] = max(consent, "2026-11-02")
    assert criterion(base, "inc-2-age").outcome is outcome


@pytest.mark.parametrize(
    ("items_present", "outcome"),
    [(4, Outcome.MET), (3, Outcome.NOT_MET)],
)
def test_acr1997_four_of_eleven(base: Record, items_present: int, outcome: Outcome) -> None:
    items = dict.fromkeys(base["classification"]["acr1997"], False)
    for name in ["malar_rash", "oral_ulcers", "arthritis", "antinuclear_antibody"][:items_present]:
        items[name] = True
    base["classification"]["acr1997"] = items
    assert criterion(base, "inc-3-diagnosis").outcome is outcome


def test_acr1997_unknown_items_named(base: Record) -> None:
    base["classification"]["acr1997"] = {"malar_rash": True, "oral_ulcers": True, "arthritis": True}
    result = criterion(base, "inc-3-diagnosis")
    assert result.outcome is Outcome.UNKNOWN
    assert "classification.acr1997.antinuclear_antibody" in result.missing
    base["classification"] = None
    assert criterion(base, "inc-3-diagnosis").missing == ("classification.acr1997: the ACR1997 items",)


@pytest.mark.parametrize(
    ("diagnosed", "outcome"),
    [("2026-05-02", Outcome.MET), ("2026-05-03", Outcome.NOT_MET), ("2026-05-31", Outcome.NOT_MET)],
)
def test_sle_history_six_calendar_months(base: Record, diagnosed: str, outcome: Outcome) -> None:
    base["sle_diagnosis_date"] = diagnosed
    base["active_disease_since"] = diagnosed
    assert criterion(base, "inc-4-disease-history").outcome is outcome


@pytest.mark.parametrize(
    ("active_since", "outcome"), [("2026-09-02", Outcome.MET), ("2026-09-03", Outcome.NOT_MET)]
)
def test_active_two_calendar_months(base: Record, active_since: str, outcome: Outcome) -> None:
    base["active_disease_since"] = active_since
    assert criterion(base, "inc-4-disease-history").outcome is outcome


def test_stable_regimen_needs_two_months_of_a_standard_drug(base: Record) -> None:
    base["medications"] = [
        {"drug": "prednisone", "route": "oral", "dose": 10, "dose_unit": "mg", "start_date": "2026-09-03"},
        {"drug": "omeprazole", "route": "oral", "dose": 20, "dose_unit": "mg", "start_date": "2020-01-01"},
    ]
    assert criterion(base, "inc-4-disease-history").outcome is Outcome.NOT_MET
    base["medications"][0]["start_date"] = "2026-09-02"
    assert criterion(base, "inc-4-disease-history").outcome is Outcome.MET


def test_prednisone_added_to_old_mmf_regimen_passes_history(base: Record) -> None:
    base["medications"] = [
        {
            "drug": "mycophenolate mofetil",
            "route": "oral",
            "dose": 1,
            "dose_unit": "g",
            "start_date": "2023-01-01",
        },
        {"drug": "prednisone", "route": "oral", "dose": 10, "dose_unit": "mg", "start_date": days_before(56)},
    ]
    assert criterion(base, "inc-4-disease-history").outcome is Outcome.MET
    assert criterion(base, "inc-4-corticosteroid").outcome is Outcome.MET


def steroid(dose: Any, start: str, unit: str = "mg", drug: str = "prednisone", **more: Any) -> dict[str, Any]:
    return {"drug": drug, "route": "oral", "dose": dose, "dose_unit": unit, "start_date": start, **more}


HCQ = {
    "drug": "hydroxychloroquine",
    "route": "oral",
    "dose": 200,
    "dose_unit": "mg",
    "start_date": "2020-01-01",
}
MMF = {"drug": "MMF", "route": "oral", "dose": 1, "dose_unit": "g", "start_date": "2020-01-01"}


@pytest.mark.parametrize(
    ("dose", "drug", "others", "outcome"),
    [
        (7.5, "prednisone", [HCQ], Outcome.MET),
        (7.4, "prednisone", [HCQ], Outcome.NOT_MET),
        (30, "prednisone", [HCQ], Outcome.MET),
        (30.1, "prednisone", [HCQ], Outcome.NOT_MET),
        (5, "prednisone", [MMF], Outcome.MET),  # no minimum with an immunosuppressant
        (31, "prednisone", [MMF], Outcome.NOT_MET),  # the maximum still applies
        (5, "prednisone", [HCQ], Outcome.NOT_MET),  # an antimalarial is not an immunosuppressant
        (6, "methylprednisolone", [HCQ], Outcome.MET),  # 6 mg = 7.5 mg prednisone
        (4.5, "dexamethasone", [HCQ], Outcome.MET),  # 4.5 mg = 30 mg prednisone
        (4.51, "dexamethasone", [HCQ], Outcome.NOT_MET),
    ],
)
def test_corticosteroid_dose_range(
    base: Record, dose: float, drug: str, others: list[dict[str, Any]], outcome: Outcome
) -> None:
    base["medications"] = [steroid(dose, "2026-01-01", drug=drug), *others]
    assert criterion(base, "inc-4-corticosteroid").outcome is outcome


def test_intermittent_regimen_counts_its_mean_daily_dose(base: Record) -> None:
    base["medications"] = [steroid(60, "2026-01-01", every_n_days=2), HCQ]
    assert criterion(base, "inc-4-corticosteroid").outcome is Outcome.MET
    base["medications"] = [steroid(62, "2026-01-01", every_n_days=2), HCQ]
    assert criterion(base, "inc-4-corticosteroid").outcome is Outcome.NOT_MET


@pytest.mark.parametrize(("days", "outcome"), [(56, Outcome.MET), (55, Outcome.NOT_MET)])
def test_corticosteroid_treatment_at_least_8_weeks(base: Record, days: int, outcome: Outcome) -> None:
    base["medications"] = [steroid(10, days_before(days)), HCQ]
    assert criterion(base, "inc-4-corticosteroid").outcome is outcome


@pytest.mark.parametrize(("days", "outcome"), [(15, Outcome.MET), (14, Outcome.NOT_MET)])
def test_corticosteroid_dose_stable_more_than_2_weeks(base: Record, days: int, outcome: Outcome) -> None:
    changed = days_before(days)
    base["medications"] = [
        steroid(20, "2026-01-01", stop_date=(date.fromisoformat(changed) - timedelta(days=1)).isoformat()),
        steroid(10, changed),
        HCQ,
    ]
    result = criterion(base, "inc-4-corticosteroid")
    assert result.outcome is outcome
    assert any(
        e.item == "glucocorticoid treatment duration" and e.outcome is Outcome.MET for e in result.evidence
    )


def test_switching_drug_at_equal_dose_is_still_stable(base: Record) -> None:
    base["medications"] = [
        steroid(10, "2026-01-01", stop_date=days_before(6)),
        steroid(8, days_before(5), drug="methylprednisolone"),
        HCQ,
    ]
    assert criterion(base, "inc-4-corticosteroid").outcome is Outcome.MET


def test_topical_steroid_does_not_count_and_no_oral_steroid_meets(base: Record) -> None:
    base["medications"] = [{**steroid(40, "2026-01-01"), "route": "topical"}, HCQ]
    result = criterion(base, "inc-4-corticosteroid")
    assert result.outcome is Outcome.MET
    assert result.evidence[0].value == "none"


def test_corticosteroid_unknown_without_medications_or_dose(base: Record) -> None:
    base["medications"] = None
    assert criterion(base, "inc-4-corticosteroid").missing == ("medications",)
    base["medications"] = [{"drug": "prednisone", "route": "oral", "start_date": "2026-01-01"}, HCQ]
    result = criterion(base, "inc-4-corticosteroid")
    assert result.outcome is Outcome.UNKNOWN
    assert result.missing == ("medications.0.dose",)


def serology(ana: Any, dsdna: Any, sm: Any, when: str = "2026-10-21") -> list[dict[str, Any]]:
    tests = {"ana": ana, "anti_dsdna": dsdna, "anti_sm": sm}
    return [{"test": t, "positive": v, "result_date": when} for t, v in tests.items() if v is not None]


@pytest.mark.parametrize(
    ("ana", "dsdna", "sm", "outcome"),
    [
        (True, None, None, Outcome.MET),
        (False, False, True, Outcome.MET),
        (False, False, False, Outcome.NOT_MET),
        (False, None, False, Outcome.UNKNOWN),
    ],
)
def test_serology_and_or(base: Record, ana: Any, dsdna: Any, sm: Any, outcome: Outcome) -> None:
    base["serology"] = serology(ana, dsdna, sm)
    assert criterion(base, "inc-5-serology").outcome is outcome


def test_serology_older_than_the_screening_window_does_not_count(base: Record) -> None:
    base["serology"] = serology(True, False, False, when=days_before(29))
    result = criterion(base, "inc-5-serology")
    assert result.outcome is Outcome.UNKNOWN
    assert "serology: ana dated within 28 days before screening" in result.missing
    base["serology"] = serology(True, False, False, when=days_before(28))
    assert criterion(base, "inc-5-serology").outcome is Outcome.MET


def sledai(present: list[str], absent_all_others: bool = True) -> dict[str, Any]:
    from cartrial.clinical.sledai import Descriptor

    descriptors: dict[str, Any] = (
        dict.fromkeys((d.value for d in Descriptor), False) if absent_all_others else {}
    )
    descriptors.update(dict.fromkeys(present, True))
    return {"version": "SELENA-SLEDAI", "assessment_date": "2026-10-28", "descriptors": descriptors}


@pytest.mark.parametrize(
    ("present", "outcome"),
    [
        (["arthritis", "haematuria"], Outcome.MET),  # 8, no serology
        (["arthritis", "rash", "fever"], Outcome.NOT_MET),  # 7
        (["arthritis", "rash", "low_complement"], Outcome.MET),  # 8, clinical exactly 6
        (["arthritis", "fever", "low_complement", "increased_dna_binding"], Outcome.NOT_MET),  # 9, clinical 5
        (["rash", "alopecia", "mucosal_ulcers", "low_complement"], Outcome.MET),  # 8, clinical 6
    ],
)
def test_sledai_total_and_clinical(base: Record, present: list[str], outcome: Outcome) -> None:
    base["sledai"] = sledai(present)
    assert criterion(base, "inc-6-sledai").outcome is outcome


def test_sledai_unknown_descriptors_decide_only_when_they_could_matter(base: Record) -> None:
    base["sledai"] = sledai(["seizure"], absent_all_others=False)
    assert criterion(base, "inc-6-sledai").outcome is Outcome.MET  # 8 already; serology unknown, clinical 8
    base["sledai"] = sledai(["arthritis"], absent_all_others=False)
    result = criterion(base, "inc-6-sledai")
    assert result.outcome is Outcome.UNKNOWN
    assert "sledai.descriptors.fever" in result.missing


def test_sledai_2k_or_stale_assessment_is_not_a_screening_selena(base: Record) -> None:
    base["sledai"]["version"] = "SLEDAI-2K"
    assert criterion(base, "inc-6-sledai").outcome is Outcome.UNKNOWN
    base["sledai"]["version"] = "SELENA-SLEDAI"
    base["sledai"]["assessment_date"] = days_before(29)
    assert criterion(base, "inc-6-sledai").outcome is Outcome.UNKNOWN
