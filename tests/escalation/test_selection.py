"""MTD selection against hand calculations of R BOIN select.mtd's formulae."""

import pytest
from scipy.stats import beta

from cartrial.escalation import select_boin_mtd
from cartrial.escalation.selection import calculate_pava

from .helpers import outcomes


def test_pava_pools_violators_with_weights() -> None:
    assert calculate_pava([0.5, 0.1], [1.0, 3.0]) == pytest.approx([0.2, 0.2])
    assert calculate_pava([0.3, 0.2, 0.1]) == pytest.approx([0.2, 0.2, 0.2])
    assert calculate_pava([0.1, 0.2]) == [0.1, 0.2]


def test_r_boin_manual_example() -> None:
    # R BOIN ?select.mtd: n = (3, 3, 15, 9, 0), y = (0, 0, 4, 4, 0), target 0.3 -> MTD 3.
    selection = select_boin_mtd(outcomes("1NNN 2NNN 3NNNNNNNNNNNTTTT 4NNNNNTTTT", 5), 0.3)
    assert selection.mtd == 3
    estimates = selection.estimates
    # doses 1 and 2: (0 + 0.05) / (3 + 0.1) each, equal weights -> pooled value unchanged
    assert estimates[0].estimate == pytest.approx(0.05 / 3.1)
    assert estimates[1].estimate == pytest.approx(0.05 / 3.1)
    assert estimates[2].estimate == pytest.approx(4.05 / 15.1)
    assert estimates[3].estimate == pytest.approx(4.05 / 9.1)
    assert estimates[4].estimate is None and estimates[4].ci_lower is None
    assert estimates[2].ci_lower == pytest.approx(beta.ppf(0.025, 4.05, 11.05))
    assert estimates[3].ci_upper == pytest.approx(beta.ppf(0.975, 4.05, 5.05))
    assert estimates[3].overdose_probability == pytest.approx(beta.sf(0.3, 4.05, 5.05))


def test_ties_below_the_target_go_to_the_higher_dose() -> None:
    # 1/3 then 0/3: PAVA pools both below 0.3; the 1e-10 * k perturbation picks dose 2.
    selection = select_boin_mtd(outcomes("1NNT 2NNN", 2), 0.3)
    assert selection.estimates[0].estimate == selection.estimates[1].estimate
    assert selection.mtd == 2


def test_ties_above_the_target_go_to_the_lower_dose() -> None:
    # 3/3 then 2/3 pool above 0.3; cut-off 0.999 keeps 3/3 (Pr = 1 - 0.3^4 = 0.9919) admissible.
    selection = select_boin_mtd(outcomes("1TTT 2NTT", 2), 0.3, cutoff_eli=0.999)
    assert selection.eliminated == ()
    assert selection.mtd == 1


def test_eliminated_and_untried_doses_are_not_selected() -> None:
    selection = select_boin_mtd(outcomes("1NNN 2NNN 3TTT", 4), 0.3)
    assert selection.eliminated == (3, 4)
    assert selection.mtd == 2
    assert selection.estimates[2].estimate is not None  # still estimated, as R does


def test_no_mtd_when_the_lowest_dose_is_eliminated() -> None:
    assert select_boin_mtd(outcomes("1TTT", 4), 0.3).mtd is None
    assert select_boin_mtd(outcomes("", 4), 0.3).mtd is None
    # extra safe: 2/3 at dose 1 has Pr = 0.9163 > 0.95 - 0.05
    assert select_boin_mtd(outcomes("1NTT", 4), 0.3, extra_safe=True).mtd is None
