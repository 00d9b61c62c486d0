"""SLE classification criteria: ACR 1997, SLICC 2012, EULAR/ACR 2019, at their boundaries, and the items
derived from raw values with units."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cartrial.clinical.classification import (
    ACR1997,
    ACR1997_CRITERIA_REQUIRED,
    EULAR_ACR2019,
    EULAR_ACR2019_SCORE_REQUIRED,
    EULAR_ACR2019_WEIGHTS,
    SLICC2012,
    SLICC2012_CRITERIA_REQUIRED,
    Acr1997Items,
    Classification,
    ClassificationResult,
    CriteriaSpec,
    EularAcr2019Items,
    Slicc2012Items,
    _classify_complete,
    _classify_general,
    classify_acr1997,
    classify_eular_acr2019,
    classify_slicc2012,
)
from cartrial.clinical.classification_items import (
    has_fever_eular_acr2019,
    has_leukopenia_acr1997,
    has_lymphopenia_acr1997,
    has_proteinuria_acr1997,
    has_proteinuria_eular_acr2019,
    has_proteinuria_slicc2012,
    has_ratio_proteinuria_eular_acr2019,
    has_ratio_proteinuria_slicc2012,
    is_leukopenic,
    is_lymphopenic_acr1997,
    is_lymphopenic_slicc2012,
    is_thrombocytopenic,
    meets_eular_acr2019_ana_titre,
)
from cartrial.errors import InputError

CLASSIFIED, NOT_CLASSIFIED, UNKNOWN = (
    Classification.CLASSIFIED,
    Classification.NOT_CLASSIFIED,
    Classification.UNKNOWN,
)


def _acr(**present: bool | None) -> Acr1997Items:
    """ACR 1997 items: every item absent except those given."""
    return Acr1997Items(**{**dict.fromkeys(Acr1997Items.model_fields, False), **present})


def _slicc(**present: bool | None) -> Slicc2012Items:
    return Slicc2012Items(**{**dict.fromkeys(Slicc2012Items.model_fields, False), **present})


def _eular(**present: bool | None) -> EularAcr2019Items:
    """EULAR/ACR 2019 items: entry criterion met, every other item absent, except those given."""
    base: dict[str, bool | None] = {**dict.fromkeys(EularAcr2019Items.model_fields, False)}
    base["antinuclear_antibody"] = True
    return EularAcr2019Items(**{**base, **present})


def _counted(result: ClassificationResult) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(c.id, c.domain, c.weight, c.items) for c in result.counted]


# ---------------------------------------------------------------------------------------------- ACR 1997


def test_acr1997_four_of_eleven_classifies_three_does_not() -> None:
    three = _acr(malar_rash=True, oral_ulcers=True, arthritis=True)
    four = _acr(malar_rash=True, oral_ulcers=True, arthritis=True, antinuclear_antibody=True)
    assert ACR1997_CRITERIA_REQUIRED == 4
    assert classify_acr1997(three).result is NOT_CLASSIFIED
    assert classify_acr1997(three).score == 3
    result = classify_acr1997(four)
    assert result.result is CLASSIFIED
    assert (result.score, result.worst_case_score, result.best_case_score) == (4, 4, 4)
    assert [c.id for c in result.counted] == [
        "malar_rash",
        "oral_ulcers",
        "arthritis",
        "antinuclear_antibody",
    ]
    assert result.missing == ()


def test_acr1997_a_composite_criterion_counts_once() -> None:
    # Pleuritis and pericarditis are one criterion (serositis); four haematologic findings are one.
    items = _acr(
        pleuritis=True,
        pericarditis=True,
        haemolytic_anaemia=True,
        leukopenia=True,
        lymphopenia=True,
        thrombocytopenia=True,
        anti_dna=True,
        anti_sm=True,
    )
    result = classify_acr1997(items)
    assert result.score == 3
    assert result.result is NOT_CLASSIFIED
    assert _counted(result) == [
        ("serositis", "serositis", 1, ("pleuritis", "pericarditis")),
        (
            "haematologic_disorder",
            "haematologic_disorder",
            1,
            ("haemolytic_anaemia", "leukopenia", "lymphopenia", "thrombocytopenia"),
        ),
        ("immunologic_disorder", "immunologic_disorder", 1, ("anti_dna", "anti_sm")),
    ]


def test_acr1997_three_present_and_one_unknown_is_unknown() -> None:
    result = classify_acr1997(_acr(malar_rash=True, oral_ulcers=True, arthritis=True, photosensitivity=None))
    assert result.result is UNKNOWN
    assert (result.score, result.worst_case_score, result.best_case_score) == (3, 3, 4)
    assert result.missing == ("photosensitivity",)


def test_acr1997_unknowns_that_cannot_reach_four_leave_it_not_classified() -> None:
    result = classify_acr1997(_acr(malar_rash=True, photosensitivity=None, psychosis=None))
    assert result.result is NOT_CLASSIFIED
    assert result.best_case_score == 3
    # Still reported: they could change the count, not the answer.
    assert result.missing == ("photosensitivity", "psychosis")


def test_acr1997_four_present_is_classified_whatever_the_unknowns() -> None:
    items = Acr1997Items(malar_rash=True, discoid_rash=True, oral_ulcers=True, seizures=True)
    result = classify_acr1997(items)
    assert result.result is CLASSIFIED
    assert (result.score, result.best_case_score) == (4, 11)
    # seizures decided the neurologic criterion, so psychosis is not missing.
    assert "psychosis" not in result.missing
    assert "photosensitivity" in result.missing


def test_acr1997_nothing_known_is_unknown() -> None:
    result = classify_acr1997(Acr1997Items())
    assert result.result is UNKNOWN
    assert (result.score, result.worst_case_score, result.best_case_score) == (0, 0, 11)
    assert result.missing == tuple(Acr1997Items.model_fields)


def test_acr1997_unknown_item_in_an_already_met_criterion_is_not_missing() -> None:
    result = classify_acr1997(_acr(cellular_casts=True, proteinuria=None))
    assert result.missing == ()
    assert result.result is NOT_CLASSIFIED


# ---------------------------------------------------------------------------------------------- SLICC 2012


def test_slicc2012_nephritis_with_ana_or_anti_dsdna_classifies_alone() -> None:
    for antibody in ("antinuclear_antibody", "anti_dsdna"):
        result = classify_slicc2012(_slicc(biopsy_proven_lupus_nephritis=True, **{antibody: True}))
        assert result.result is CLASSIFIED
        assert result.score == 1
        assert [r.result for r in result.routes] == [CLASSIFIED, NOT_CLASSIFIED]


def test_slicc2012_nephritis_without_the_antibodies_does_not_classify() -> None:
    result = classify_slicc2012(_slicc(biopsy_proven_lupus_nephritis=True, anti_sm=True))
    assert result.result is NOT_CLASSIFIED


def test_slicc2012_nephritis_with_unknown_antibodies_is_unknown() -> None:
    result = classify_slicc2012(
        _slicc(biopsy_proven_lupus_nephritis=True, antinuclear_antibody=None, anti_dsdna=None)
    )
    assert result.result is UNKNOWN
    assert result.missing == ("antinuclear_antibody", "anti_dsdna")
    assert [r.result for r in result.routes] == [UNKNOWN, NOT_CLASSIFIED]


def test_slicc2012_four_criteria_need_one_clinical_and_one_immunological() -> None:
    three_clinical_one_immunological = _slicc(
        acute_cutaneous_lupus=True, synovitis=True, thrombocytopenia=True, low_complement=True
    )
    two_clinical_one_immunological = _slicc(acute_cutaneous_lupus=True, synovitis=True, low_complement=True)
    four_clinical = _slicc(acute_cutaneous_lupus=True, synovitis=True, thrombocytopenia=True, serositis=True)
    four_immunological = _slicc(antinuclear_antibody=True, anti_dsdna=True, anti_sm=True, low_complement=True)
    assert SLICC2012_CRITERIA_REQUIRED == 4
    assert classify_slicc2012(three_clinical_one_immunological).result is CLASSIFIED
    assert classify_slicc2012(two_clinical_one_immunological).result is NOT_CLASSIFIED
    assert classify_slicc2012(four_clinical).result is NOT_CLASSIFIED
    assert classify_slicc2012(four_clinical).score == 4
    assert classify_slicc2012(four_immunological).result is NOT_CLASSIFIED


def test_slicc2012_four_clinical_and_an_unknown_immunological_is_unknown() -> None:
    result = classify_slicc2012(
        _slicc(
            acute_cutaneous_lupus=True, synovitis=True, thrombocytopenia=True, serositis=True, anti_sm=None
        )
    )
    assert result.result is UNKNOWN
    assert result.missing == ("anti_sm",)


def test_slicc2012_leukopenia_or_lymphopenia_is_one_criterion() -> None:
    result = classify_slicc2012(_slicc(leukopenia=True, lymphopenia=True, antinuclear_antibody=True))
    assert result.score == 2
    assert _counted(result)[0] == (
        "leukopenia_or_lymphopenia",
        "leukopenia_or_lymphopenia",
        1,
        ("leukopenia", "lymphopenia"),
    )


def test_slicc2012_direct_coombs_counts_only_without_haemolytic_anaemia() -> None:
    with_anaemia = _slicc(
        acute_cutaneous_lupus=True, oral_or_nasal_ulcers=True, haemolytic_anaemia=True, direct_coombs=True
    )
    without = _slicc(
        acute_cutaneous_lupus=True, oral_or_nasal_ulcers=True, thrombocytopenia=True, direct_coombs=True
    )
    assert classify_slicc2012(with_anaemia).score == 3
    assert classify_slicc2012(with_anaemia).result is NOT_CLASSIFIED
    assert classify_slicc2012(without).score == 4
    assert classify_slicc2012(without).result is CLASSIFIED


def test_slicc2012_coombs_with_unknown_haemolysis_is_exact() -> None:
    # Haemolytic anaemia present: 4 clinical, 0 immunological (Coombs no longer counts) -> not classified.
    # Absent: 3 clinical + Coombs -> classified. The count is 4 either way.
    items = _slicc(
        acute_cutaneous_lupus=True,
        oral_or_nasal_ulcers=True,
        synovitis=True,
        direct_coombs=True,
        haemolytic_anaemia=None,
    )
    result = classify_slicc2012(items)
    assert result.result is UNKNOWN
    assert (result.score, result.worst_case_score, result.best_case_score) == (3, 4, 4)
    assert result.missing == ("haemolytic_anaemia",)
    # With ANA present both fillings classify (5 criteria, ANA immunological): classified despite the unknown.
    with_ana = classify_slicc2012(items.model_copy(update={"antinuclear_antibody": True}))
    assert with_ana.result is CLASSIFIED
    assert (with_ana.score, with_ana.worst_case_score, with_ana.best_case_score) == (4, 5, 5)


# ------------------------------------------------------------------------------------------ EULAR/ACR 2019


def test_eular2019_weights_are_those_of_the_published_table() -> None:
    assert EULAR_ACR2019_WEIGHTS == {
        "fever": 2,
        "leukopenia": 3,
        "thrombocytopenia": 4,
        "autoimmune_haemolysis": 4,
        "delirium": 2,
        "psychosis": 3,
        "seizure": 5,
        "nonscarring_alopecia": 2,
        "oral_ulcers": 2,
        "subacute_cutaneous_or_discoid_lupus": 4,
        "acute_cutaneous_lupus": 6,
        "pleural_or_pericardial_effusion": 5,
        "acute_pericarditis": 6,
        "joint_involvement": 6,
        "proteinuria": 4,
        "lupus_nephritis_class_ii_or_v": 8,
        "lupus_nephritis_class_iii_or_iv": 10,
        "antiphospholipid_antibodies": 2,
        "low_c3_or_low_c4": 3,
        "low_c3_and_low_c4": 4,
        "anti_dsdna_or_anti_sm": 6,
    }
    # Every item present: the highest of each domain, 2+4+5+6+6+6+10 clinical, 2+4+6 immunological.
    everything = classify_eular_acr2019(
        EularAcr2019Items(**dict.fromkeys(EularAcr2019Items.model_fields, True))
    )
    assert everything.score == 51


def test_eular2019_total_ten_classifies_nine_does_not() -> None:
    ten = classify_eular_acr2019(_eular(joint_involvement=True, proteinuria=True))
    nine = classify_eular_acr2019(_eular(joint_involvement=True, leukopenia=True))
    assert EULAR_ACR2019_SCORE_REQUIRED == 10
    assert (ten.result, ten.score) == (CLASSIFIED, 10)
    assert (nine.result, nine.score) == (NOT_CLASSIFIED, 9)


def test_eular2019_only_the_highest_weight_in_a_domain_counts() -> None:
    serosal = classify_eular_acr2019(_eular(acute_pericarditis=True, pleural_or_pericardial_effusion=True))
    assert _counted(serosal) == [("acute_pericarditis", "serosal", 6, ("acute_pericarditis",))]
    assert serosal.score == 6
    complement = classify_eular_acr2019(_eular(low_c3=True, low_c4=True))
    assert _counted(complement) == [("low_c3_and_low_c4", "complement_proteins", 4, ("low_c3", "low_c4"))]
    assert complement.score == 4
    one_low = classify_eular_acr2019(_eular(low_c4=True))
    assert _counted(one_low) == [("low_c3_or_low_c4", "complement_proteins", 3, ("low_c4",))]
    renal = classify_eular_acr2019(
        _eular(proteinuria=True, lupus_nephritis_class_ii_or_v=True, lupus_nephritis_class_iii_or_iv=True)
    )
    assert renal.score == 10
    assert renal.result is CLASSIFIED


def test_eular2019_ties_in_a_domain_count_once() -> None:
    result = classify_eular_acr2019(_eular(nonscarring_alopecia=True, oral_ulcers=True))
    assert result.score == 2
    assert [c.id for c in result.counted] == ["nonscarring_alopecia"]


def test_eular2019_without_the_entry_criterion_never_classifies() -> None:
    items = _eular(
        antinuclear_antibody=False, lupus_nephritis_class_iii_or_iv=True, anti_dsdna=True, low_c3=True
    )
    result = classify_eular_acr2019(items)
    assert result.score == 19
    assert result.result is NOT_CLASSIFIED
    unknown_entry = classify_eular_acr2019(items.model_copy(update={"antinuclear_antibody": None}))
    assert unknown_entry.result is UNKNOWN
    assert unknown_entry.missing == ("antinuclear_antibody",)


def test_eular2019_unknown_entry_does_not_matter_when_the_score_cannot_reach_ten() -> None:
    result = classify_eular_acr2019(_eular(antinuclear_antibody=None, fever=True, leukopenia=None))
    assert result.best_case_score == 5
    assert result.result is NOT_CLASSIFIED
    assert result.missing == ("leukopenia",)


def test_eular2019_needs_a_clinical_criterion() -> None:
    immunological = _eular(anti_dsdna=True, low_c3=True, low_c4=True, lupus_anticoagulant=True)
    assert classify_eular_acr2019(immunological).score == 12
    assert classify_eular_acr2019(immunological).result is NOT_CLASSIFIED
    with_fever = immunological.model_copy(update={"fever": True})
    assert classify_eular_acr2019(with_fever).result is CLASSIFIED
    fever_unknown = classify_eular_acr2019(immunological.model_copy(update={"fever": None}))
    assert fever_unknown.result is UNKNOWN
    assert fever_unknown.missing == ("fever",)


def test_eular2019_unknown_items_make_it_unknown_only_when_they_could_change_it() -> None:
    nine_and_unknown_fever = classify_eular_acr2019(
        _eular(joint_involvement=True, leukopenia=True, fever=None)
    )
    assert nine_and_unknown_fever.result is UNKNOWN
    assert (nine_and_unknown_fever.worst_case_score, nine_and_unknown_fever.best_case_score) == (9, 11)
    ten_and_unknowns = classify_eular_acr2019(
        _eular(joint_involvement=True, proteinuria=True, fever=None, seizure=None)
    )
    assert ten_and_unknowns.result is CLASSIFIED
    assert ten_and_unknowns.missing == ("fever", "seizure")


def test_eular2019_an_unknown_item_below_the_domain_floor_is_not_missing() -> None:
    result = classify_eular_acr2019(_eular(acute_pericarditis=True, pleural_or_pericardial_effusion=None))
    assert result.missing == ()
    partial_complement = classify_eular_acr2019(_eular(low_c4=True, low_c3=None))
    assert (partial_complement.score, partial_complement.best_case_score) == (3, 4)
    assert partial_complement.missing == ("low_c3",)


# ---------------------------------------------------------------------------------------------- input models


@pytest.mark.parametrize(
    ("spec", "model", "criteria"),
    [(ACR1997, Acr1997Items, 11), (SLICC2012, Slicc2012Items, 17), (EULAR_ACR2019, EularAcr2019Items, 21)],
)
def test_every_item_is_read_by_a_criterion_or_a_rule(
    spec: CriteriaSpec, model: type[Any], criteria: int
) -> None:
    read = {name for c in spec.criteria for name in (*c.any_of, *c.all_of, *c.absent_items)}
    read |= {name for route in spec.routes for name in route.reads}
    assert read == set(model.model_fields)
    assert len(spec.criteria) == criteria
    assert len({c.id for c in spec.criteria}) == criteria


@pytest.mark.parametrize("model", [Acr1997Items, Slicc2012Items, EularAcr2019Items])
def test_items_are_frozen_strict_and_closed(
    model: type[Acr1997Items | Slicc2012Items | EularAcr2019Items],
) -> None:
    first = next(iter(model.model_fields))
    with pytest.raises(ValidationError):
        model(**{first: 1})
    with pytest.raises(ValidationError):
        model(**{first: "yes"})
    with pytest.raises(ValidationError):
        model.model_validate({"not_an_item": True})
    items = model()
    with pytest.raises(ValidationError):
        setattr(items, first, True)
    assert getattr(items, first) is None


# ---------------------------------------------------------------------------------------------- properties

_CLASSIFIERS: list[tuple[type[Any], Callable[[Any], ClassificationResult]]] = [
    (Acr1997Items, classify_acr1997),
    (Slicc2012Items, classify_slicc2012),
    (EularAcr2019Items, classify_eular_acr2019),
]


@st.composite
def _items_with_unknowns(draw: st.DrawFn, max_unknown: int | None = None) -> tuple[Any, Callable[[Any], Any]]:
    model, classify = draw(st.sampled_from(_CLASSIFIERS))
    names = list(model.model_fields)
    values: dict[str, bool | None] = {name: draw(st.booleans()) for name in names}
    unknown = draw(st.lists(st.sampled_from(names), unique=True, max_size=max_unknown or len(names)))
    values.update(dict.fromkeys(unknown, None))
    return model(**values), classify


@settings(max_examples=150, deadline=None)
@given(_items_with_unknowns(), st.data())
def test_filling_in_an_unknown_item_only_narrows_the_answer(
    case: tuple[Any, Callable[[Any], ClassificationResult]], data: st.DataObject
) -> None:
    items, classify = case
    before = classify(items)
    assert before.score <= before.worst_case_score <= before.best_case_score
    unknown = [name for name, value in items.values().items() if value is None]
    if not unknown:
        assert before.result is not UNKNOWN
        assert before.score == before.worst_case_score == before.best_case_score
        return
    name = data.draw(st.sampled_from(unknown))
    value = data.draw(st.booleans())
    after = classify(items.model_copy(update={name: value}))
    if value:
        # Marking an unknown item present never lowers the score.
        assert after.score >= before.score
    assert (
        before.worst_case_score <= after.worst_case_score <= after.best_case_score <= before.best_case_score
    )
    if before.result is not UNKNOWN:
        assert after.result is before.result


@settings(max_examples=120, deadline=None)
@given(_items_with_unknowns(max_unknown=6))
def test_best_and_worst_case_match_every_filling_in(
    case: tuple[Any, Callable[[Any], ClassificationResult]],
) -> None:
    items, classify = case
    result = classify(items)
    unknown = [name for name, value in items.values().items() if value is None]
    outcomes = [
        classify(items.model_copy(update=dict(zip(unknown, filling, strict=True))))
        for filling in itertools.product((False, True), repeat=len(unknown))
    ]
    assert result.worst_case_score == min(o.score for o in outcomes)
    assert result.best_case_score == max(o.score for o in outcomes)
    answers = {o.result for o in outcomes}
    assert answers <= {CLASSIFIED, NOT_CLASSIFIED}
    assert result.result is (answers.pop() if len(answers) == 1 else UNKNOWN)
    if result.result is not UNKNOWN and result.worst_case_score == result.best_case_score:
        # Nothing unknown could change anything: `missing` may name only score-relevant items.
        assert all(o.score == result.best_case_score for o in outcomes)


# ---------------------------------------------------------------------------------------------- raw values


@pytest.mark.parametrize(
    ("count", "unit", "expected"),
    [
        (4.0, "10^9/L", False),
        (Decimal("3.999"), "10^9/L", True),
        (4000, "/mm3", False),
        (3999, "/mm³", True),
        (4000, "/µL", False),
        (3999.9, "/uL", True),
        (4, "x10^9/L", False),
        (Decimal("3.99"), "10⁹/L", True),
    ],
)
def test_leukopenia_is_below_4000_per_mm3(count: float | Decimal, unit: str, expected: bool) -> None:
    assert is_leukopenic(count, unit) is expected


def test_thrombocytopenia_and_lymphopenia_boundaries() -> None:
    assert is_thrombocytopenic(100, "10^9/L") is False
    assert is_thrombocytopenic(99.999, "10^9/L") is True
    assert is_thrombocytopenic(100_000, "/mm3") is False
    assert is_lymphopenic_acr1997(1.5, "10^9/L") is False
    assert is_lymphopenic_acr1997(1499, "/µL") is True
    assert is_lymphopenic_slicc2012(1000, "/mm3") is False
    assert is_lymphopenic_slicc2012(0.999, "10^9/L") is True


def test_acr1997_cytopenias_need_two_occasions() -> None:
    assert has_leukopenia_acr1997([(3.9, "10^9/L"), (3999, "/mm3")]) is True
    assert has_leukopenia_acr1997([(3.9, "10^9/L"), (4.0, "10^9/L")]) is False
    assert has_leukopenia_acr1997([]) is None
    assert has_lymphopenia_acr1997([(1.4, "10^9/L"), (1499, "/µL"), (2.0, "10^9/L")]) is True
    assert has_lymphopenia_acr1997([(1.5, "10^9/L"), (1.5, "10^9/L")]) is False
    with pytest.raises(InputError) as caught:
        has_leukopenia_acr1997([(3.9, "10^9/L"), (3.9, "g/L")])
    assert caught.value.errors[0].field == "white_cells[1]"


def test_proteinuria_boundaries_per_criteria_set() -> None:
    # ACR 1997 and EULAR/ACR 2019: above 0.5 g/24 h; SLICC 2012: 500 mg/24 h or more.
    assert has_proteinuria_acr1997(0.5, "g/24h") is False
    assert has_proteinuria_acr1997(501, "mg/24h") is True
    assert has_proteinuria_eular_acr2019(500, "mg/24h") is False
    assert has_proteinuria_eular_acr2019(Decimal("0.5001"), "g/24h") is True
    assert has_proteinuria_slicc2012(500, "mg/24h") is True
    assert has_proteinuria_slicc2012(0.5, "g/24h") is True
    assert has_proteinuria_slicc2012(499.9, "mg/24h") is False


def test_a_protein_creatinine_ratio_is_a_different_test() -> None:
    assert has_ratio_proteinuria_slicc2012(0.5, "mg/mg") is True
    assert has_ratio_proteinuria_slicc2012(0.499, "g/g") is False
    assert has_ratio_proteinuria_slicc2012(500, "mg/g") is True
    assert has_ratio_proteinuria_eular_acr2019(0.5, "mg/mg") is False
    assert has_ratio_proteinuria_eular_acr2019(0.51, "g/g") is True
    # A ratio is never read as a 24-hour amount, nor the reverse.
    for helper in (has_proteinuria_acr1997, has_proteinuria_slicc2012, has_proteinuria_eular_acr2019):
        with pytest.raises(InputError) as caught:
            helper(0.6, "mg/mg")
        assert caught.value.errors[0].field == "urine_protein_24h"
    with pytest.raises(InputError) as ratio_error:
        has_ratio_proteinuria_slicc2012(600, "mg/24h")
    assert ratio_error.value.errors[0].field == "urine_protein_creatinine_ratio"


def test_fever_is_above_38_3_celsius() -> None:
    assert has_fever_eular_acr2019(38.3, "°C") is False
    assert has_fever_eular_acr2019(Decimal("38.31"), "degC") is True
    for unit in ("degF", "K", "mg"):
        with pytest.raises(InputError) as caught:
            has_fever_eular_acr2019(101, unit, field="temp_max")
        assert caught.value.errors[0].field == "temp_max"


def test_ana_titre_entry_threshold() -> None:
    assert meets_eular_acr2019_ana_titre("1:80") is True
    assert meets_eular_acr2019_ana_titre(" 1 : 40 ") is False
    assert meets_eular_acr2019_ana_titre(160) is True
    for bad in ("80", "1:", 0, True):
        with pytest.raises(InputError) as caught:
            meets_eular_acr2019_ana_titre(bad)
        assert caught.value.errors[0].field == "ana_titre"


@pytest.mark.parametrize(
    ("value", "unit", "reason"),
    [
        (3.9, "blorps", "unknown unit"),
        (3.9, "(", "unknown unit"),
        (3.9, "1/0", "unknown unit"),
        (3.9, "g/L", "cannot be converted"),
        (3.9, "", "a unit is required"),
        (-1, "10^9/L", "must not be negative"),
        (float("nan"), "10^9/L", "finite"),
        (True, "10^9/L", "expected a number"),
    ],
)
def test_bad_raw_values_name_the_field(value: Any, unit: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        is_leukopenic(value, unit, field="wbc")
    (error,) = caught.value.errors
    assert error.field == "wbc"
    assert reason in error.reason


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=12))
def test_any_unit_text_converts_or_is_an_input_error(unit: str) -> None:
    try:
        is_leukopenic(3, unit)
    except InputError as error:
        assert error.errors[0].field == "white_cells"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_CLASSIFIERS), st.data())
def test_the_complete_items_shortcut_gives_the_general_result(
    case: tuple[type[Any], Callable[[Any], ClassificationResult]], data: st.DataObject
) -> None:
    """With no unknown item, classification takes a shortcut; it must agree with the general evaluation
    (whose single case is then both the best and the worst)."""
    model, classify = case
    items = model(**{name: data.draw(st.booleans()) for name in model.model_fields})
    spec = {classify_acr1997: ACR1997, classify_slicc2012: SLICC2012, classify_eular_acr2019: EULAR_ACR2019}[
        classify
    ]
    values = items.values()
    assert _classify_complete(spec, values) == _classify_general(spec, values) == classify(items)
