"""BF-BOIN (Zhao et al. 2024; R bfboin's decision step), by hand from R BOIN's count table at 0.3.

R BOIN get.boundary, target 0.3: n = 3 escalate if DLTs <= 0, de-escalate if >= 2, eliminate if >= 3;
n = 6: 1, 3, 4; n = 7: 1, 3, 5 (Pr(p > 0.3) for 4/7 is 0.942); n = 9: 2, 4, 5; n = 12: 2, 5, 7.
"""

import pytest

from cartrial.errors import InputError
from cartrial.escalation import (
    DoseOutcomes,
    EscalationState,
    build_design,
    summarise_outcomes,
)
from cartrial.escalation.designs.boin import calculate_boin_row
from cartrial.escalation.simulation import simulate_operating_characteristics
from cartrial.escalation.state import PatientOutcome
from tests.escalation.helpers import bf_boin


def counts(treated: tuple[int, ...], dlts: tuple[int, ...], current: int) -> DoseOutcomes:
    return DoseOutcomes(treated, dlts, (0,) * len(treated), current)


@pytest.mark.parametrize(
    ("n", "escalate", "deescalate", "eliminate"),
    [(3, 0, 2, 3), (6, 1, 3, 4), (7, 1, 3, 5), (9, 2, 4, 5), (12, 2, 5, 7)],
)
def test_the_count_table_the_cases_below_rest_on(
    n: int, escalate: int, deescalate: int, eliminate: int
) -> None:
    row = calculate_boin_row(n, 0.3, 0.2365, 0.3585, 0.95)
    assert (row.escalate_at_most, row.deescalate_at_least, row.eliminate_at_least) == (
        escalate,
        deescalate,
        eliminate,
    )


def test_without_conflict_the_pooled_current_dose_decides() -> None:
    decision = build_design(bf_boin()).decide(counts((6, 3, 3, 0), (0, 0, 0, 0), 3))
    assert (decision.action, decision.next_dose) == ("escalate", 4)
    assert decision.details["backfill_open"] == [1, 2]
    assert "pooled_from" not in decision.details


@pytest.mark.parametrize(
    ("dose_2_dlts", "action", "next_dose"),
    # Dose 3 (3/0) says escalate; dose 2 (6 patients) does not: pool doses 2..3 (9 patients).
    # 6/2 (stay) pooled 9/2 <= 2: escalate; 6/3 (de-escalate) pooled 9/3: between, stay.
    [(2, "escalate", 4), (3, "stay", 3)],
)
def test_a_lower_dose_that_does_not_escalate_pools_with_the_current(
    dose_2_dlts: int, action: str, next_dose: int
) -> None:
    decision = build_design(bf_boin()).decide(counts((3, 6, 3, 0), (0, dose_2_dlts, 0, 0), 3))
    assert (decision.action, decision.next_dose, decision.details["pooled_from"]) == (action, next_dose, 2)


def test_pooled_de_escalation_goes_below_the_conflicting_dose_when_no_cumulative_pool_is_safe() -> None:
    # Dose 3: 3/1 stay; dose 2: 6/3 de-escalate -> pooled 9/4 >= 4; cumulative from dose 2:
    # 6/3 (not < 3), 9/4 (not < 4): none safe -> dose 1.
    decision = build_design(bf_boin()).decide(counts((3, 6, 3, 0), (0, 3, 1, 0), 3))
    assert (decision.action, decision.next_dose) == ("de-escalate", 1)


def test_pooling_can_keep_a_dose_plain_boin_would_leave() -> None:
    # Dose 4: 3/2 de-escalate; dose 1: 3/2 de-escalate conflicts: pooled 1..4 = 12/4, between 2 and 5.
    data = counts((3, 3, 3, 3), (2, 0, 0, 2), 4)
    assert build_design(bf_boin(backfill=False)).decide(data).next_dose == 3
    decision = build_design(bf_boin()).decide(data)
    assert (decision.action, decision.next_dose, decision.details["pooled_from"]) == ("stay", 4, 1)


def test_pooled_de_escalation_stops_at_the_highest_cumulatively_safe_dose() -> None:
    # Dose 3: 3/2 and dose 1: 3/2 de-escalate; pooled 9/4 >= 4. Cumulative from dose 1: 3/2 (not < 2),
    # 6/2 (< 3: safe), 9/4 (not < 4) -> dose 2.
    decision = build_design(bf_boin()).decide(counts((3, 3, 3, 0), (2, 0, 2, 0), 3))
    assert (decision.action, decision.next_dose) == ("de-escalate", 2)


@pytest.mark.parametrize(
    ("dlts", "open_doses"),
    [
        ((2, 0, 0, 0), [1, 2]),  # dose 1: 6/2 < 3
        ((3, 0, 0, 0), [1, 2]),  # 6/3 fails alone, pooled with dose 2: 9/3 < 4
        ((3, 1, 0, 0), []),  # 6/3 and 9/4 fail: dose 1 closes, and every dose above it
    ],
)
def test_doses_open_to_backfill(dlts: tuple[int, ...], open_doses: list[int]) -> None:
    decision = build_design(bf_boin()).decide(counts((6, 3, 3, 0), dlts, 3))
    assert decision.details["backfill_open"] == open_doses


@pytest.mark.parametrize(("treated_1", "open_doses"), [(11, [1, 2]), (12, [2])])
def test_a_dose_closes_to_backfill_at_the_cap(treated_1: int, open_doses: list[int]) -> None:
    decision = build_design(bf_boin()).decide(counts((treated_1, 3, 3, 0), (0, 0, 0, 0), 3))
    assert decision.details["backfill_open"] == open_doses
    smaller = build_design(bf_boin(backfill_cap=6)).decide(counts((treated_1, 3, 3, 0), (0, 0, 0, 0), 3))
    assert smaller.details["backfill_open"] == [2]


def patient(dose: int, dlt: str, backfill: bool = False) -> PatientOutcome:
    return PatientOutcome(dose_level=dose, dlt=dlt, backfill=backfill)


def test_backfill_patients_count_at_their_dose_and_do_not_move_the_current_dose() -> None:
    state = EscalationState(
        patients=(
            *(patient(1, "no") for _ in range(3)),
            *(patient(2, "no") for _ in range(3)),
            patient(1, "yes", backfill=True),
            patient(1, "no", backfill=True),
            patient(1, "pending", backfill=True),
        )
    )
    data = summarise_outcomes(state, 4)
    assert (data.current_dose, data.treated, data.dlts, data.pending) == (
        2,
        (5, 3, 0, 0),
        (1, 0, 0, 0),
        (1, 0, 0, 0),
    )
    assert data.backfill_pending == (1, 0, 0, 0)
    decision = build_design(bf_boin()).decide(data)
    # Only a backfill patient is pending: dose 2's 3/0 escalates; dose 1's 5/1 (escalate at most 1).
    assert (decision.action, decision.next_dose) == ("escalate", 3)


def test_a_pending_escalation_patient_suspends_and_the_open_doses_are_shown() -> None:
    state = EscalationState(
        patients=(
            *(patient(1, "no") for _ in range(3)),
            patient(2, "no"),
            patient(2, "pending"),
        )
    )
    decision = build_design(bf_boin()).decide(summarise_outcomes(state, 4))
    assert (decision.action, decision.next_dose) == ("suspend", 2)
    assert decision.details["backfill_open"] == [1]


def test_backfill_is_a_boin_option_and_has_no_simulation_yet() -> None:
    with pytest.raises(InputError, match="backfill"):
        build_design(bf_boin(design="mtpi2"))
    with pytest.raises(InputError, match="backfill"):
        simulate_operating_characteristics(bf_boin(), (0.1, 0.2, 0.3, 0.4), 10, 10, 1)


@pytest.mark.parametrize(("dose_1_dlts", "action", "next_dose"), [(3, "stay", 2), (4, "stop", None)])
def test_backfill_data_that_eliminate_the_lowest_dose_stop_the_trial(
    dose_1_dlts: int, action: str, next_dose: int | None
) -> None:
    # Dose 1 with 6 patients: 3 DLTs de-escalate (pooled with dose 2's 3/0: 9/3, stay); 4 DLTs reach
    # the elimination count at n = 6: dose 1 and every dose above are eliminated, the trial stops.
    decision = build_design(bf_boin()).decide(counts((6, 3, 0, 0), (dose_1_dlts, 0, 0, 0), 2))
    assert (decision.action, decision.next_dose) == (action, next_dose)


def test_an_untried_dose_below_the_start_is_not_open_to_backfill() -> None:
    """The backup level below the start dose has cleared nothing until someone is treated there."""
    design = build_design(bf_boin(start_dose=2))
    untried = design.decide(counts((0, 3, 3, 0), (0, 0, 0, 0), 3))
    assert untried.details["backfill_open"] == [2]
    tried = design.decide(counts((3, 3, 3, 0), (0, 0, 0, 0), 3))
    assert tried.details["backfill_open"] == [1, 2]
