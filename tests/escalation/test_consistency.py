"""Checks every design stack must pass on any data (after R escalation's check_dose_selector_consistency)."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.escalation import DesignSettings, DoseOutcomes, build_design, outcomes_from_counts

SKELETON = (0.05, 0.12, 0.25, 0.40)
STACKS = {
    "3+3": DesignSettings(design="3+3", n_doses=4, start_dose=2),
    "boin": DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3, max_n=36),
    "mtpi2": DesignSettings(design="mtpi2", n_doses=4, start_dose=1, target=0.3, n_earlystop=12),
    "i3+3": DesignSettings(design="i3+3", n_doses=4, start_dose=1, target=0.25, extra_safe=True),
    "crm": DesignSettings(design="crm", n_doses=4, start_dose=1, target=0.25, skeleton=SKELETON),
}
DESIGNS = {name: build_design(s) for name, s in STACKS.items()}


@st.composite
def trial_data(draw: st.DrawFn, three_plus_three: bool) -> DoseOutcomes:
    sizes = st.sampled_from((0, 3, 6)) if three_plus_three else st.integers(min_value=0, max_value=12)
    treated = [draw(sizes) for _ in range(4)]
    current = draw(st.integers(min_value=1, max_value=4))
    treated[current - 1] = max(treated[current - 1], 3)
    dlts = [draw(st.integers(min_value=0, max_value=n)) for n in treated]
    return outcomes_from_counts(tuple(treated), tuple(dlts), current)


def check(name: str, data: DoseOutcomes) -> None:
    decision = DESIGNS[name].decide(data)
    current = data.current_dose
    assert current is not None
    assert decision.stop == (decision.next_dose is None)
    if decision.next_dose is not None:
        assert 1 <= decision.next_dose <= 4
        assert decision.next_dose <= current + 1  # never skips an untried dose upwards
        assert decision.next_dose not in decision.eliminated
    if decision.action == "escalate":
        assert decision.next_dose == current + 1
    # one more DLT at the current dose never raises the next dose
    n, y = data.n_at(current), data.dlt_at(current)
    if y < n:
        dlts = list(data.dlts)
        dlts[current - 1] += 1
        worse = DESIGNS[name].decide(replace(data, dlts=tuple(dlts)))
        if decision.next_dose is None:
            # a stop for toxicity stays a stop; a stop that found the MTD (3+3) may turn into a move down
            if 1 in decision.eliminated:
                assert worse.next_dose is None
        elif worse.next_dose is not None:
            assert worse.next_dose <= decision.next_dose


@settings(max_examples=40, deadline=None)
@given(trial_data(three_plus_three=True))
def test_three_plus_three_is_consistent(data: DoseOutcomes) -> None:
    check("3+3", data)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(("boin", "mtpi2", "i3+3", "crm")), trial_data(three_plus_three=False))
def test_model_assisted_and_model_based_designs_are_consistent(name: str, data: DoseOutcomes) -> None:
    check(name, data)
