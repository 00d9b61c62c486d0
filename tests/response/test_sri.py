from decimal import Decimal

import pytest

from cartrial.response import (
    BILAG_2004_NUMERIC,
    BilagGrade,
    BilagGrades,
    Component,
    DomainChange,
    ResponseSettings,
    ScoreRange,
    assess_sri,
    calculate_bilag_numeric,
    calculate_score_changes,
    classify_domain_change,
    compare_bilag,
)
from tests.response.builders import ALL_E, both, visit

# SELENA-SLEDAI 8 at baseline: arthritis 4 + rash 2 + low complement 2.
BASELINE = visit(-7, sledai=both(["arthritis", "rash", "low_complement"]), pga=Decimal("1.00"))


def component(name: str, settings: ResponseSettings = ResponseSettings(), **fields: object) -> Component:
    result = assess_sri(BASELINE, visit(28, **fields), settings)
    return next(c for c in result.components if c.name == name)


def test_sledai_fall_of_exactly_4_meets_part_a_and_3_does_not() -> None:
    fell_4 = component("a_sledai_reduction", sledai=both(["rash", "low_complement"]))  # 8 -> 4
    fell_3 = component("a_sledai_reduction", sledai=both(["rash", "low_complement", "fever"]))  # 8 -> 5
    assert (fell_4.met, fell_4.value) == (True, ScoreRange(4, 4))
    assert (fell_3.met, fell_3.value) == (False, ScoreRange(3, 3))


def test_sri_5_raises_part_a() -> None:
    sri5 = ResponseSettings(sri_reduction=5)
    assert component("a_sledai_reduction", sri5, sledai=both(["rash", "low_complement"])).met is False
    assert (
        component("a_sledai_reduction", sri5, sledai=both(["low_complement", "fever"])).met is True
    )  # 8 -> 3
    assert assess_sri(BASELINE, visit(28), sri5).criterion == "SRI-5"


def test_unknown_descriptors_make_part_a_unknown_and_are_named() -> None:
    part_a = component("a_sledai_reduction", sledai=both(["rash"], unknown=["arthritis"]))  # visit 2..6
    assert (part_a.met, part_a.value) == (None, ScoreRange(2, 6))
    assert "arthritis" in part_a.reason
    # Visit 6..7 (fever not assessed): a fall of 1..2 cannot reach 4, so part (a) is decided.
    decided = component(
        "a_sledai_reduction", sledai=both(["rash", "pleurisy", "low_complement"], unknown=["fever"])
    )
    assert (decided.met, decided.value) == (False, ScoreRange(1, 2))


def test_sledai_missing_at_visit_is_unknown_naming_the_version() -> None:
    part_a = component("a_sledai_reduction", sledai=[])
    assert part_a.met is None
    assert part_a.reason == "SELENA-SLEDAI not assessed at this visit"


@pytest.mark.parametrize(
    ("baseline", "now", "change"),
    [
        ("E", "B", DomainChange.NEW_B),
        ("C", "B", DomainChange.NEW_B),
        ("D", "A", DomainChange.NEW_A),
        ("B", "A", DomainChange.NEW_A),
        ("A", "B", DomainChange.NOT_NEW),
        ("B", "B", DomainChange.NOT_NEW),
        ("A", "A", DomainChange.NOT_NEW),
        ("E", "C", DomainChange.NOT_NEW),
    ],
)
def test_new_bilag_domains(baseline: str, now: str, change: DomainChange) -> None:
    assert classify_domain_change(BilagGrade(baseline), BilagGrade(now)) is change


def test_one_new_bilag_b_is_allowed_two_are_not_and_a_new_a_fails() -> None:
    one_b = component("b_bilag_no_worsening", bilag={**ALL_E, "renal": "B"})
    two_b = component("b_bilag_no_worsening", bilag={**ALL_E, "renal": "B", "mucocutaneous": "B"})
    new_a = component("b_bilag_no_worsening", bilag={**ALL_E, "haematological": "A"})
    assert (one_b.met, one_b.value) == (True, ("renal: B",))
    assert (two_b.met, two_b.value) == (False, ("mucocutaneous: B", "renal: B"))
    assert (new_a.met, new_a.value) == (False, ("haematological: A",))
    assert new_a.reason == "new A: haematological; new B: none"


def test_ungraded_domains_are_unknown_only_where_they_could_decide() -> None:
    # Baseline not graded except renal A; visit all E except renal not graded: E is never new, and renal
    # was A, so nothing can be a new A or B.
    baseline_a = BilagGrades(renal=BilagGrade.A)
    assert compare_bilag(baseline_a, BilagGrades(**{**ALL_E, "renal": None})).sri_met is True
    graded = BilagGrades(**ALL_E)
    baseline = graded.model_copy(update={"renal": BilagGrade.A})
    assert compare_bilag(baseline, graded.model_copy(update={"renal": None})).sri_met is True
    # Baseline C, visit not graded: could be a new A.
    unknown = compare_bilag(
        graded.model_copy(update={"renal": BilagGrade.C}), graded.model_copy(update={"renal": None})
    )
    assert unknown.sri_met is None and unknown.maybe(DomainChange.NEW_A) == ("renal",)
    # Two known new Bs fail whatever the ungraded domain is.
    two_b = graded.model_copy(
        update={"renal": BilagGrade.B, "mucocutaneous": BilagGrade.B, "ophthalmic": None}
    )
    assert compare_bilag(graded, two_b).sri_met is False
    # Not graded at the visit, C now: C can never be new, so the part is decided.
    assert compare_bilag(graded.model_copy(update={"ophthalmic": None}), graded).sri_met is True


def test_bilag_not_recorded_is_unknown_and_says_where() -> None:
    part_b = component("b_bilag_no_worsening", bilag=None)
    assert part_b.met is None
    assert "BILAG-2004 not recorded at this visit" in part_b.reason


def test_pga_increase_of_029_passes_and_030_fails() -> None:
    passes = component("c_pga_no_worsening", pga=Decimal("1.29"))
    fails = component("c_pga_no_worsening", pga=Decimal("1.30"))
    assert (passes.met, passes.value) == (True, Decimal("0.29"))
    assert (fails.met, fails.value) == (False, Decimal("0.30"))


def test_pga_missing_is_unknown_naming_where() -> None:
    missing = assess_sri(visit(-7, pga=None), visit(28, pga=None))
    part_c = next(c for c in missing.components if c.name == "c_pga_no_worsening")
    assert part_c.met is None
    assert part_c.reason == "PGA not recorded at baseline; PGA not recorded at this visit"


def test_sri_overall_is_met_only_when_every_part_is() -> None:
    responder = assess_sri(BASELINE, visit(28, sledai=both(["low_complement"])))
    assert (responder.met, responder.reason) == (True, "every component met")
    unknown = assess_sri(BASELINE, visit(28, sledai=both(["low_complement"]), pga=None))
    assert unknown.met is None and unknown.reason.startswith("c_pga_no_worsening: PGA not recorded")
    failed = assess_sri(
        BASELINE, visit(28, sledai=both(["low_complement"]), pga=None, bilag={**ALL_E, "renal": "A"})
    )
    assert failed.met is False and failed.reason.startswith("b_bilag_no_worsening")


def test_bilag_numeric_score_by_yee_2010() -> None:
    assert BILAG_2004_NUMERIC == {
        BilagGrade.A: 12,
        BilagGrade.B: 8,
        BilagGrade.C: 1,
        BilagGrade.D: 0,
        BilagGrade.E: 0,
    }
    grades = BilagGrades(
        **{**ALL_E, "renal": BilagGrade.A, "mucocutaneous": BilagGrade.B, "constitutional": BilagGrade.C}
    )
    assert calculate_bilag_numeric(grades) == ScoreRange(21, 21)
    assert calculate_bilag_numeric(grades.model_copy(update={"ophthalmic": None})) == ScoreRange(21, 33)
    assert calculate_bilag_numeric(None) == ScoreRange(0, 108)


def test_score_changes_from_baseline() -> None:
    now = visit(28, sledai=both(["low_complement"], unknown=["fever"]), bilag={**ALL_E, "renal": "C"})
    selena, two_k, bilag = calculate_score_changes(BASELINE, now)
    assert (selena.baseline, selena.visit, selena.change) == (
        ScoreRange(8, 8),
        ScoreRange(2, 3),
        ScoreRange(-6, -5),
    )
    assert "fever" in selena.reason and two_k.change == ScoreRange(-6, -5)
    assert (bilag.score, bilag.change) == ("BILAG-2004 numeric", ScoreRange(1, 1))
    only_selena = calculate_score_changes(BASELINE, visit(28, sledai=both()[:1]))
    assert only_selena[1].change is None and only_selena[1].reason == "SLEDAI-2K not assessed at this visit"
