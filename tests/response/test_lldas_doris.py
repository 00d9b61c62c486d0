from decimal import Decimal
from typing import Any

import pytest

from cartrial.clinical.glucocorticoids import Route
from cartrial.clinical.sledai import SledaiVersion
from cartrial.response import (
    CarTReading,
    Component,
    GlucocorticoidDose,
    ResponseSettings,
    ScoreRange,
    Visit,
    assess_doris,
    assess_lldas,
    calculate_prednisolone_mg,
)
from tests.response.builders import NO_ACTIVITY, both, sledai, visit

INVESTIGATIONAL = ResponseSettings(car_t=CarTReading.INVESTIGATIONAL)


def lldas(
    name: str, infusion_day: int | None = None, settings: ResponseSettings = ResponseSettings(), **fields: Any
) -> Component:
    result = assess_lldas(visit(28, **fields), infusion_day, settings)
    return next(c for c in result.components if c.name == name)


def doris(
    name: str, infusion_day: int | None = None, settings: ResponseSettings = ResponseSettings(), **fields: Any
) -> Component:
    result = assess_doris(visit(28, **fields), infusion_day, settings)
    return next(c for c in result.components if c.name == name)


def prednisone(mg: str) -> list[dict[str, object]]:
    return [{"drug": "prednisone", "dose_mg": Decimal(mg)}]


def test_a_visit_in_remission_meets_lldas_and_doris() -> None:
    assert assess_lldas(visit(28)).met is True
    assert assess_doris(visit(28)).met is True


def test_lldas_sledai_2k_4_meets_and_5_does_not() -> None:
    four = lldas("sledai_at_most_4", sledai=both(["low_complement", "increased_dna_binding"]))
    five = lldas(
        "sledai_at_most_4", sledai=both(["low_complement", "increased_dna_binding", "thrombocytopenia"])
    )
    assert (four.met, four.value) == (True, ScoreRange(4, 4))
    assert (five.met, five.value) == (False, ScoreRange(5, 5))


def test_lldas_reads_sledai_2k_not_selena() -> None:
    only_selena = lldas("sledai_at_most_4", sledai=[sledai(SledaiVersion.SELENA)])
    assert (only_selena.met, only_selena.reason) == (None, "SLEDAI-2K not assessed at this visit")


def test_lldas_pga_1_meets_and_101_does_not() -> None:
    assert lldas("pga_at_most_1", pga=Decimal("1")).met is True
    assert lldas("pga_at_most_1", pga=Decimal("1.01")).met is False


def test_lldas_prednisolone_75_meets_and_76_does_not() -> None:
    at_limit = lldas("prednisolone_at_most_7.5mg", glucocorticoids=prednisone("7.5"))
    above = lldas("prednisolone_at_most_7.5mg", glucocorticoids=prednisone("7.6"))
    assert (at_limit.met, at_limit.value) == (True, Decimal("7.5"))
    assert (above.met, above.value) == (False, Decimal("7.6"))


def test_prednisolone_equivalent_by_the_bnf_table() -> None:
    # BNF: methylprednisolone 4 mg = prednisolone 5 mg; 15 mg every other day is 7.5 mg/day; topical ignored.
    doses = (
        GlucocorticoidDose(drug="Medrol", dose_mg=Decimal("4")),
        GlucocorticoidDose(drug="prednisolone", dose_mg=Decimal("5"), every_n_days=2),
        GlucocorticoidDose(drug="hydrocortisone", dose_mg=Decimal("10"), route=Route.TOPICAL),
    )
    assert calculate_prednisolone_mg(doses, "BNF") == Decimal("7.5")
    assert calculate_prednisolone_mg((), "BNF") == 0
    betamethasone = (GlucocorticoidDose(drug="betamethasone", dose_mg=Decimal("0.6")),)
    assert calculate_prednisolone_mg(betamethasone, "US") == 5
    assert calculate_prednisolone_mg(betamethasone, "BNF") == 4


def test_glucocorticoids_not_recorded_are_unknown_but_none_taken_is_zero() -> None:
    unknown = lldas("prednisolone_at_most_7.5mg", glucocorticoids=None)
    assert (unknown.met, unknown.reason) == (None, "glucocorticoids not recorded at this visit")
    assert lldas("prednisolone_at_most_7.5mg", glucocorticoids=[]).value == 0


def test_a_sledai_organ_descriptor_is_activity_there_whatever_the_fact_says() -> None:
    organs = lldas("no_major_organ_activity", sledai=both(["pleurisy"]))
    assert (organs.met, organs.value, organs.reason) == (
        False,
        ("cardiopulmonary",),
        "present: cardiopulmonary",
    )


def test_organ_facts_not_recorded_are_unknown_and_named() -> None:
    organs = lldas(
        "no_major_organ_activity", activity={**NO_ACTIVITY, "cardiopulmonary": None, "fever": None}
    )
    assert (organs.met, organs.reason) == (None, "not recorded: cardiopulmonary, fever")
    other = lldas("no_haemolytic_anaemia_or_gi_activity", activity={**NO_ACTIVITY, "gastrointestinal": True})
    assert (other.met, other.reason) == (False, "present: gastrointestinal")
    new = lldas("no_new_activity", activity={})
    assert (new.met, new.reason) == (None, "new activity since the previous assessment not recorded")


def test_a_descriptor_absent_at_the_previous_visit_is_new_activity() -> None:
    previous = visit(28, sledai=both(["low_complement"], unknown=["alopecia"]))
    # Low complement persists (not new); alopecia was not assessed before (the fact decides); rash is new.
    persisting = visit(56, sledai=both(["low_complement", "alopecia"]))
    assert _new_activity(persisting, previous) == (True, "no new activity recorded")
    rash = visit(56, sledai=both(["low_complement", "rash"]))
    assert _new_activity(rash, previous) == (False, "new since the previous visit: rash")
    # Without a previous visit only the recorded fact counts.
    assert _new_activity(rash, None) == (True, "no new activity recorded")


def _new_activity(now: Visit, previous: Visit | None) -> tuple[bool | None, str]:
    result = assess_lldas(now, None, ResponseSettings(), previous)
    new = next(c for c in result.components if c.name == "no_new_activity")
    return new.met, new.reason


def test_lldas_drugs_investigational_fails_and_untold_maintenance_is_unknown() -> None:
    trial_drug = [{"drug": "XYZ-101", "drug_class": "investigational"}]
    assert lldas("immunosuppression_allowed", lupus_drugs=trial_drug).met is False
    mmf = lldas("immunosuppression_allowed", lupus_drugs=[{"drug": "MMF"}])
    assert (mmf.met, mmf.reason) == (None, "MMF: a well-tolerated standard maintenance dose not recorded")
    # Antimalarials are outside LLDAS's maintenance condition.
    assert lldas("immunosuppression_allowed", lupus_drugs=[{"drug": "hydroxychloroquine"}]).met is True
    not_recorded = lldas("immunosuppression_allowed", lupus_drugs=None)
    assert (not_recorded.met, not_recorded.reason) == (None, "lupus drugs not recorded at this visit")


@pytest.mark.parametrize(
    ("settings", "infusion_day", "met"),
    [
        (ResponseSettings(), 0, True),
        (INVESTIGATIONAL, 0, False),
        (INVESTIGATIONAL, 28, False),
        (INVESTIGATIONAL, 29, True),
        (INVESTIGATIONAL, None, None),
    ],
)
def test_car_t_reading_is_a_setting(
    settings: ResponseSettings, infusion_day: int | None, met: bool | None
) -> None:
    assert lldas("immunosuppression_allowed", infusion_day, settings).met is met
    assert doris("allowed_drugs", infusion_day, settings).met is met
    assert assess_lldas(visit(28), infusion_day, settings).met is met


def test_doris_pga_049_meets_and_05_does_not() -> None:
    assert doris("pga_below_0.5", pga=Decimal("0.49")).met is True
    assert doris("pga_below_0.5", pga=Decimal("0.5")).met is False


def test_doris_prednisolone_5_meets_and_51_does_not() -> None:
    assert doris("prednisolone_at_most_5mg", glucocorticoids=prednisone("5")).met is True
    assert doris("prednisolone_at_most_5mg", glucocorticoids=prednisone("5.1")).met is False


def test_doris_allows_serology_but_not_clinical_activity() -> None:
    serology = doris("clinical_sledai_zero", sledai=both(["low_complement", "increased_dna_binding"]))
    assert (serology.met, serology.value) == (True, ScoreRange(0, 0))
    # Serology not assessed cannot matter; a clinical descriptor not assessed can.
    assert doris("clinical_sledai_zero", sledai=both(unknown=["low_complement"])).met is True
    unknown = doris("clinical_sledai_zero", sledai=both(unknown=["alopecia"]))
    assert (unknown.met, unknown.value) == (None, ScoreRange(0, 2))
    assert "not assessed: alopecia" in unknown.reason
    rash = doris("clinical_sledai_zero", sledai=both(["rash"]))
    assert (rash.met, rash.value) == (False, ScoreRange(2, 2))


def test_doris_drugs_need_stable_doses() -> None:
    stable = [{"drug": "hydroxychloroquine", "stable_dose": True}, {"drug": "belimumab", "stable_dose": True}]
    assert doris("allowed_drugs", lupus_drugs=stable).met is True
    changed = doris("allowed_drugs", lupus_drugs=[{"drug": "HCQ", "stable_dose": False}])
    assert (changed.met, changed.reason) == (False, "HCQ: not at a stable dose")
    assert doris("allowed_drugs", lupus_drugs=[{"drug": "tacrolimus"}]).met is None


def test_overall_reason_names_the_unknown_components() -> None:
    result = assess_doris(visit(28, pga=None, glucocorticoids=None))
    assert result.met is None
    assert result.reason == (
        "pga_below_0.5: PGA not recorded at this visit; "
        "prednisolone_at_most_5mg: glucocorticoids not recorded at this visit"
    )
    failed = assess_doris(visit(28, pga=Decimal("0.5"), glucocorticoids=None))
    assert failed.met is False and failed.reason == "pga_below_0.5: PGA 0.5 fails PGA < 0.5"
