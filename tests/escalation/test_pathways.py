"""Dose-transition pathways against the design's own decisions (Yap et al. 2017)."""

import pytest

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design
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
