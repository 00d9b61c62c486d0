"""BOIN against Liu & Yuan 2015 (Table 1) and R BOIN 2.7's get.boundary."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, calculate_boin_boundary, outcomes_from_counts
from cartrial.escalation.designs.boin import calculate_boin_lambdas, calculate_boin_row

from .helpers import outcomes


def boin(**changes: object) -> DesignSettings:
    values: dict[str, object] = {"design": "boin", "n_doses": 4, "start_dose": 1, "target": 0.3}
    values.update(changes)
    return DesignSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "lambda_e", "lambda_d"),
    # Liu & Yuan 2015, Table 1 (phi1 = 0.6 phi, phi2 = 1.4 phi), printed to three decimals.
    [
        (0.15, 0.118, 0.179),
        (0.2, 0.157, 0.238),
        (0.25, 0.197, 0.298),
        (0.3, 0.236, 0.358),
        (0.35, 0.276, 0.419),
    ],
)
def test_boundaries_equal_the_published_table(target: float, lambda_e: float, lambda_d: float) -> None:
    e, d = calculate_boin_lambdas(target)
    assert e == pytest.approx(lambda_e, abs=1e-3)
    assert d == pytest.approx(lambda_d, abs=1e-3)


def test_target_030_boundaries_to_four_decimals() -> None:
    boundary = calculate_boin_boundary(0.3, 30)
    assert round(boundary.lambda_e, 4) == 0.2365
    assert round(boundary.lambda_d, 4) == 0.3585


def test_decision_table_target_030_cohort_3() -> None:
    # R BOIN: get.boundary(target = 0.3, ncohort = 10, cohortsize = 3)$boundary_tab (Yan et al. 2020, JSS).
    rows = calculate_boin_boundary(0.3, 30).table(3)
    assert [r.n for r in rows] == list(range(3, 31, 3))
    assert [r.escalate_at_most for r in rows] == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
    assert [r.deescalate_at_least for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert [r.eliminate_at_least for r in rows] == [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]


def test_full_table_has_no_elimination_below_three_and_respects_n_earlystop() -> None:
    boundary = calculate_boin_boundary(0.3, 30)
    assert [r.eliminate_at_least for r in boundary.rows[:2]] == [None, None]
    assert [r.n for r in boundary.table(3, n_earlystop=12)] == [3, 6, 9, 12]
    assert len(boundary.table(1)) == 30


def test_deescalation_count_when_lambda_d_times_n_is_an_integer() -> None:
    # R get.boundary: an exact integer lambda_d * n de-escalates only above it (round + 1).
    row = calculate_boin_row(4, 0.3, 0.2, 0.5, 0.95)
    assert row.deescalate_at_least == 3
    assert calculate_boin_row(3, 0.3, 0.2, 0.5, 0.95).deescalate_at_least == 2


def test_deescalation_is_capped_at_elimination() -> None:
    # target 0.6: lambda_d * 3 rounds up past the elimination count at n = 30? check the cap directly.
    row = calculate_boin_row(10, 0.3, 0.2, 0.9, 0.95)
    assert row.eliminate_at_least == 6
    assert row.deescalate_at_least == 6


@pytest.mark.parametrize("target", [0.04, 0.61])
def test_target_outside_r_range_is_bad_input(target: float) -> None:
    with pytest.raises(InputError, match="target"):
        calculate_boin_boundary(target, 30)


@pytest.mark.parametrize(
    ("text", "action", "next_dose"),
    [
        ("1NNN", "escalate", 2),  # 0/3 <= 0
        ("1NNT", "stay", 1),  # 1/3: 0.333 between 0.2365 and 0.3585
        ("1NNN 2NTT", "de-escalate", 1),  # 2/3 >= 2
        ("1NNN 2NNN 3NNN 4NNN", "stay", 4),  # highest dose: escalation signal, stay
        ("1NNT 1NNN", "escalate", 2),  # 1/6 <= 1
        ("1NTT", "stay", 1),  # lowest dose: de-escalation signal, stay
    ],
)
def test_decisions_at_the_boundaries(text: str, action: str, next_dose: int) -> None:
    decision = build_design(boin()).decide(outcomes(text))
    assert (decision.action, decision.next_dose) == (action, next_dose)


def test_elimination_blocks_escalation_and_stops_at_the_lowest() -> None:
    design = build_design(boin())
    # 3/3 at dose 2 eliminates 2.. ; back at dose 1 with 0/3 the escalation signal is blocked.
    decision = design.decide(outcomes("1NNN 2TTT 1NNN"))
    assert decision.eliminated == (2, 3, 4)
    assert (decision.action, decision.next_dose) == ("stay", 1)
    stop = design.decide(outcomes("1TTT"))
    assert stop.stop and stop.next_dose is None and stop.eliminated == (1, 2, 3, 4)
    # Pr(p > 0.3 | Beta(4, 1)) = 1 - 0.3^4
    assert stop.details["overdose_probability"][0] == pytest.approx(1 - 0.3**4)


def test_extra_safe_stops_earlier_at_the_lowest_dose() -> None:
    # 2/3 at dose 1: Pr(p > 0.3 | Beta(3, 2)) = 1 - (4 * 0.3^3 - 3 * 0.3^4) = 0.9163,
    # below 0.95 but above 0.95 - 0.05.
    data = outcomes("1NTT")
    plain = build_design(boin()).decide(data)
    assert not plain.stop
    assert plain.details["overdose_probability"][0] == pytest.approx(1 - (4 * 0.3**3 - 3 * 0.3**4))
    assert build_design(boin(extra_safe=True)).decide(data).stop


def test_cutoff_eli_is_a_setting() -> None:
    data = outcomes("1NNN 2TTT 1NNN")
    assert build_design(boin(cutoff_eli=0.995)).decide(data).eliminated == ()


def test_n_earlystop_stops_only_when_the_next_dose_is_the_current_one() -> None:
    design = build_design(boin(n_earlystop=6))
    assert design.decide(outcomes("1NNT 1NNT")).stop  # 2/6: stay at 1 with 6 there
    assert design.decide(outcomes("1NNT 1NNN")).action == "escalate"  # 1/6 escalates


def test_max_n_stops_and_pending_suspends() -> None:
    assert build_design(boin(max_n=6)).decide(outcomes("1NNN 2NNN")).stop
    from cartrial.escalation import EscalationState, PatientOutcome, summarise_outcomes

    state = EscalationState(
        patients=(PatientOutcome(dose_level=1, dlt="no"), PatientOutcome(dose_level=1, dlt="pending"))
    )
    decision = build_design(boin()).decide(summarise_outcomes(state, 4))
    assert (decision.action, decision.next_dose) == ("suspend", 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=9), min_size=4, max_size=4),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=3),
)
def test_more_dlts_never_give_a_higher_next_dose(ns: list[int], current: int, extra: int) -> None:
    ns[current - 1] = max(ns[current - 1], 3)
    design = build_design(boin())
    ys = [n // 4 for n in ns]
    more = list(ys)
    more[current - 1] = min(ns[current - 1], ys[current - 1] + extra)
    low = design.decide(outcomes_from_counts(tuple(ns), tuple(ys), current))
    high = design.decide(outcomes_from_counts(tuple(ns), tuple(more), current))
    if low.next_dose is None:
        assert high.next_dose is None
    elif high.next_dose is not None:
        assert high.next_dose <= low.next_dose
