"""The compiled simulator against exact enumeration (3+3) and against the pure designs, replayed."""

from dataclasses import replace

import numpy as np
import pytest

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, outcomes_from_counts, select_mtd
from cartrial.escalation.simulation import (
    calculate_binomial_cdf,
    calculate_exact_operating_characteristics,
    draw_cohort_uniforms,
    simulate_operating_characteristics,
    simulate_trials,
)

TRUE = (0.05, 0.10, 0.20, 0.30)


def replay(
    settings: DesignSettings, true_tox: tuple[float, ...], u: np.ndarray
) -> list[tuple[int, list[int], list[int]]]:
    """Each row of u through the pure design, cohort by cohort: (selected index or -1, n, y)."""
    design = build_design(settings)
    size = 3 if settings.design == "3+3" else settings.cohort_size
    cdf = calculate_binomial_cdf(true_tox, size)
    results = []
    for row in u:
        n = [0] * settings.n_doses
        y = [0] * settings.n_doses
        dose = settings.start_dose
        for i, draw in enumerate(row):
            n[dose - 1] += size
            y[dose - 1] += int(np.searchsorted(cdf[dose - 1], draw))
            if i == len(row) - 1:
                break
            count = int(np.searchsorted(cdf[dose - 1], draw))
            recent = (1,) * count + (0,) * (size - count)
            decision = design.decide(
                replace(outcomes_from_counts(tuple(n), tuple(y), dose), recent_dlts=recent)
            )
            if decision.stop or decision.next_dose is None:
                break
            dose = decision.next_dose
        mtd = select_mtd(outcomes_from_counts(tuple(n), tuple(y), None), settings).mtd
        results.append((-1 if mtd is None else mtd - 1, n, y))
    return results


@pytest.mark.parametrize(
    "settings",
    [
        DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3),
        DesignSettings(design="boin", n_doses=4, start_dose=2, target=0.25, n_earlystop=9, extra_safe=True),
        DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3, cohort_size=1, cutoff_eli=0.9),
        DesignSettings(design="mtpi2", n_doses=4, start_dose=1, target=0.3, n_earlystop=12),
        DesignSettings(design="i3+3", n_doses=4, start_dose=1, target=0.25),
        DesignSettings(design="crm", n_doses=4, start_dose=1, target=0.25, skeleton=(0.05, 0.12, 0.25, 0.40)),
        DesignSettings(
            design="crm",
            n_doses=4,
            start_dose=2,
            target=0.3,
            skeleton=(0.1, 0.2, 0.3, 0.45),
            model="logistic",
        ),
        DesignSettings(design="3+3", n_doses=4, start_dose=2),
        DesignSettings(
            design="3+3", n_doses=4, start_dose=2, confirm_mtd_with_six=False, accept_two_of_six=True
        ),
    ],
)
@pytest.mark.parametrize("true_tox", [TRUE, (0.3, 0.45, 0.6, 0.7), (0.55, 0.6, 0.7, 0.8)])
def test_compiled_loop_equals_the_pure_design_replayed(
    settings: DesignSettings, true_tox: tuple[float, ...]
) -> None:
    cohorts = 10 if settings.cohort_size == 3 else 12
    u = draw_cohort_uniforms(150, cohorts, seed=11)
    compiled = simulate_trials(settings, true_tox, cohorts, u)
    for t, (selected, n, y) in enumerate(replay(settings, true_tox, u)):
        assert compiled.selected[t] == selected, t
        assert list(compiled.patients[t]) == n, t
        assert list(compiled.dlts[t]) == y, t


@pytest.mark.parametrize("start", [1, 2])
@pytest.mark.parametrize("true_tox", [TRUE, (0.15, 0.3, 0.45, 0.6)])
def test_three_plus_three_simulation_agrees_with_exact_enumeration(
    start: int, true_tox: tuple[float, ...]
) -> None:
    settings = DesignSettings(design="3+3", n_doses=4, start_dose=start)
    exact = calculate_exact_operating_characteristics(settings, true_tox, 10)
    trials = 200_000
    simulated = simulate_operating_characteristics(settings, true_tox, 10, trials, seed=6)
    for p_exact, p_sim in zip(
        (*exact.selection_pct, exact.stop_pct), (*simulated.selection_pct, simulated.stop_pct), strict=True
    ):
        se = 100 * np.sqrt(max(p_exact / 100 * (1 - p_exact / 100), 1e-6) / trials)
        assert abs(p_sim - p_exact) < 4.5 * se
    assert simulated.mean_n == pytest.approx(exact.mean_n, abs=0.05)
    assert sum(exact.selection_pct) + exact.stop_pct == pytest.approx(100.0)


def test_exact_three_plus_three_escalation_probability_from_one_dose() -> None:
    # Classical 3+3 (Storer 1989): Pr(escalate past a dose) = (1-p)^3 + 3p(1-p)^2 (1-p)^3.
    p = 0.2
    settings = DesignSettings(design="3+3", n_doses=2, start_dose=1)
    exact = calculate_exact_operating_characteristics(settings, (p, 1.0), 10)
    escalate = (1 - p) ** 3 + 3 * p * (1 - p) ** 2 * (1 - p) ** 3
    # with dose 2 certain to be toxic, dose 1 is the MTD exactly when the trial escalated past it
    # and dose 1 had (or got) six patients with at most one DLT
    assert exact.selection_pct[1] == 0.0
    assert exact.selection_pct[0] / 100 <= escalate + 1e-12
    assert exact.patients[1] == pytest.approx(3 * escalate)


def test_same_seed_same_result_and_percentages_add_up() -> None:
    settings = DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3)
    first = simulate_operating_characteristics(settings, TRUE, 10, 5000, seed=6)
    assert first == simulate_operating_characteristics(settings, TRUE, 10, 5000, seed=6)
    assert sum(first.selection_pct) + first.stop_pct == pytest.approx(100.0)
    assert first.mean_n == pytest.approx(30.0, abs=0.5)


def test_bad_scenarios_are_rejected() -> None:
    settings = DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3)
    with pytest.raises(InputError, match="true"):
        simulate_operating_characteristics(settings, (0.1, 0.2), 10, 10, seed=1)
    with pytest.raises(InputError, match=r"true\[1\]"):
        simulate_operating_characteristics(settings, (0.1, 1.2, 0.3, 0.4), 10, 10, seed=1)
