"""Dose-transition pathways against the design's own decisions (Yap et al. 2017)."""

from dataclasses import replace

import pytest

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, DoseOutcomes, build_design, parse_outcomes, summarise_outcomes
from cartrial.escalation.pathways import calculate_pathways, list_pathways

from .helpers import outcomes

BOIN = DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3)


def test_two_cohorts_of_three_from_the_start() -> None:
    root = calculate_pathways(build_design(BOIN), outcomes(""), 3, 2)
    assert root.decision.next_dose == 1
    assert [child.outcome for child in root.children] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    # BOIN, target 0.3: 0/3 escalate, 1/3 stay, 2/3 stay at the lowest dose, 3/3 eliminate -> stop
    assert [c.decision.next_dose for c in root.children] == [2, 1, 1, None]
    assert root.children[3].children == ()
    paths = list_pathways(root)
    assert len(paths) == 3 * 4 + 1
    assert paths[0][0] == "1NNN 2NNN" and paths[0][1].next_dose == 3
    assert paths[-1][0] == "1TTT" and paths[-1][1].stop


def test_every_node_is_the_design_decision_on_its_path() -> None:
    design = build_design(DesignSettings(design="3+3", n_doses=4, start_dose=2))
    for notation, decision in list_pathways(calculate_pathways(design, outcomes("2NNT"), 3, 3)):
        assert design.decide(outcomes("2NNT " + notation)) == decision


def test_too_many_paths_and_bad_depth() -> None:
    with pytest.raises(InputError, match="cohorts"):
        calculate_pathways(build_design(BOIN), outcomes(""), 3, 0)
    with pytest.raises(InputError, match="too many"):
        calculate_pathways(build_design(BOIN), outcomes(""), 3, 12)


BF_BOIN = DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3, backfill=True)


def parsed(text: str) -> DoseOutcomes:
    return summarise_outcomes(parse_outcomes(text, 4, backfill=True), 4)


def test_backfill_cohorts_come_with_each_escalation_cohort_at_the_highest_open_dose() -> None:
    design = build_design(BF_BOIN)
    root = calculate_pathways(design, parsed("1NNN 2NNN"), 3, 1, backfill_size=2)
    assert root.decision.next_dose == 3
    # While the cohort at 3 is pending doses 1 and 2 are open: 2 backfill patients at dose 2.
    assert [c.outcome for c in root.children[:4]] == ["3NNN b2NN", "3NNN b2NT", "3NNN b2TT", "3NNT b2NN"]
    assert len(root.children) == 4 * 3
    # By hand (target 0.3): 3NNN b2TT: dose 2 has 2/5 (de-escalate) against dose 3's 0/3 (escalate):
    # pooled 2..3 2/8, between 1 (escalate at most) and 3 (de-escalate at least): stay at 3.
    assert root.children[2].decision.action == "stay" and root.children[2].decision.next_dose == 3
    # 3NNT b2TT: pooled 3/8 de-escalates, and neither dose 2 (2/5) nor 2..3 (3/8) is below lambda_d.
    assert root.children[5].outcome == "3NNT b2TT" and root.children[5].decision.next_dose == 1


def test_every_backfill_path_is_the_design_decision_on_its_notation() -> None:
    design = build_design(BF_BOIN)
    paths = list_pathways(calculate_pathways(design, parsed("1NNN"), 3, 3, backfill_size=1))
    assert any(" b" in notation for notation, _ in paths)
    for notation, decision in paths:
        assert design.decide(parsed("1NNN " + notation)) == decision, notation


def test_no_backfill_cohort_without_an_open_dose_and_the_cap_bounds_its_size() -> None:
    design = build_design(BF_BOIN)
    # The first cohort: nothing is cleared below the start dose.
    first = calculate_pathways(design, parsed(""), 3, 1, backfill_size=3)
    assert [c.outcome for c in first.children] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    assert first.children[0].backfill_dose is None
    # Cap 5: dose 1 holds 3, so a backfill cohort of at most 2 there.
    capped = build_design(replace(BF_BOIN, backfill_cap=5))
    root = calculate_pathways(capped, parsed("1NNN"), 3, 1, backfill_size=3, backfill_cap=5)
    assert (root.children[0].backfill_dose, root.children[0].backfill_size) == (1, 2)
    assert root.children[0].outcome == "2NNN b1NN" and len(root.children) == 4 * 3


def test_backfill_pathways_need_a_backfill_design() -> None:
    with pytest.raises(InputError, match="no backfill cohorts"):
        calculate_pathways(build_design(BOIN), outcomes("1NNN"), 3, 1, backfill_size=3)
    with pytest.raises(InputError, match="backfill_size"):
        calculate_pathways(build_design(BF_BOIN), outcomes("1NNN"), 3, 1, backfill_size=-1)
