"""mTPI-2 (Guo et al. 2017) and i3+3 (Liu et al. 2020) decision rules, by hand calculation."""

import pytest

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design
from cartrial.escalation.designs.i3plus3 import I3Plus3Signal
from cartrial.escalation.designs.interval import DEESCALATE, ESCALATE, STAY
from cartrial.escalation.designs.mtpi2 import Mtpi2Signal, calculate_mtpi2_intervals

from .helpers import outcomes


def test_mtpi2_intervals_have_the_width_of_the_equivalence_interval() -> None:
    assert calculate_mtpi2_intervals(0.2, 0.3) == (
        (0.0, 0.1),
        (0.1, 0.2),
        (0.2, 0.3),
        (0.3, 0.4),
        (0.4, 0.5),
        (0.5, 0.6),
        (0.6, 0.7),
        (0.7, 0.8),
        (0.8, 0.9),
        (0.9, 1.0),
    )
    # 0.25 is not a multiple of 0.1: the lowest interval is truncated at 0, the highest at 1.
    intervals = calculate_mtpi2_intervals(0.25, 0.35)
    assert intervals[0] == (0.0, 0.05) and intervals[3] == (0.25, 0.35) and intervals[-1] == (0.95, 1.0)


def beta23_cdf(x: float) -> float:
    """Beta(2, 3) CDF: x^2 (6 - 8x + 3x^2), the posterior after 1 DLT in 3 under Beta(1, 1)."""
    return x * x * (6 - 8 * x + 3 * x * x)


def test_mtpi2_one_of_three_stays_at_target_030() -> None:
    signal = Mtpi2Signal(0.3)
    masses = list(signal.unit_probability_masses(3)[1])
    intervals = calculate_mtpi2_intervals(0.25, 0.35)
    expected = [(beta23_cdf(b) - beta23_cdf(a)) / (b - a) for a, b in intervals]
    assert masses == pytest.approx(expected)
    # the largest UPM is the EI's [0.25, 0.35] (the Beta(2, 3) mode 1/3 lies in it)
    assert max(range(len(masses)), key=masses.__getitem__) == 3
    assert signal.row(3)[1] == STAY


@pytest.mark.parametrize(
    ("n", "decisions"),
    # Computed from the rule; (n, y): E below EI, S at EI, D above.
    [(3, [ESCALATE, STAY, DEESCALATE, DEESCALATE]), (6, [ESCALATE, ESCALATE, STAY, DEESCALATE, DEESCALATE])],
)
def test_mtpi2_decisions_target_030(n: int, decisions: list[int]) -> None:
    signal = Mtpi2Signal(0.3)
    assert list(signal.row(n)[: len(decisions)]) == decisions


@pytest.mark.parametrize(
    ("n", "y", "expected"),
    [
        (3, 0, ESCALATE),  # 0 < 0.2
        (3, 1, STAY),  # 0.333 > 0.3 but 0/3 < 0.2: the i3+3 'stay'
        (3, 2, DEESCALATE),  # 1/3 >= 0.2
        (5, 1, STAY),  # 0.2 is inside EI (inclusive lower bound)
        (10, 3, STAY),  # 0.3 is inside EI (inclusive upper bound)
        (6, 2, STAY),  # 2/6 above, 1/6 below
        (9, 3, DEESCALATE),  # 3/9 above, 2/9 inside
    ],
)
def test_i3plus3_rule_at_its_boundaries(n: int, y: int, expected: int) -> None:
    assert I3Plus3Signal(0.25).row(n)[y] == expected


@pytest.mark.parametrize("design", ["mtpi2", "i3+3"])
def test_elimination_du_and_stack(design: str) -> None:
    settings = DesignSettings(design=design, n_doses=4, start_dose=1, target=0.25)
    made = build_design(settings)
    # 3/3: Pr(p > 0.25 | Beta(4, 1)) = 1 - 0.25^4 > 0.95: dose 2.. eliminated (DU)
    decision = made.decide(outcomes("1NNN 2TTT"))
    assert (decision.action, decision.next_dose, decision.eliminated) == ("de-escalate", 1, (2, 3, 4))
    assert made.decide(outcomes("1TTT")).stop
    assert made.decide(outcomes("1NNN")).next_dose == 2


def test_equivalence_interval_must_fit() -> None:
    with pytest.raises(InputError, match="epsilon1"):
        build_design(DesignSettings(design="i3+3", n_doses=4, start_dose=1, target=0.25, epsilon1=0.3))
