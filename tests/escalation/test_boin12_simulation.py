"""BOIN12 simulation: the cohort outcome distribution by hand, and the compiled loop replayed through
the pure design stack on the same uniforms."""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import binom

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, select_mtd
from cartrial.escalation.boin12_simulation import (
    calculate_joint_cdf,
    enumerate_cohort_outcomes,
    simulate_boin12_operating_characteristics,
    simulate_boin12_trials,
)
from cartrial.escalation.configure import make_boin12
from cartrial.escalation.interface import DoseOutcomes
from cartrial.escalation.simulation import draw_cohort_uniforms

# Lin et al. 2020's worked settings (phi_T 0.35, phi_E 0.25, cap 12 at a dose) on four doses.
SETTINGS = DesignSettings(design="boin12", n_doses=4, start_dose=1, target=0.35, phi_e=0.25, n_earlystop=12)
TOX = (0.05, 0.10, 0.20, 0.30)
EFF = (0.20, 0.40, 0.50, 0.50)


def test_cohort_outcomes_are_every_split_of_the_cohort_in_order() -> None:
    outcomes = enumerate_cohort_outcomes(3)
    # compositions of 3 patients into 4 categories: C(6, 3) = 20
    assert outcomes.shape == (20, 3)
    assert [tuple(r) for r in outcomes[:4]] == [(0, 0, 0), (0, 1, 0), (0, 2, 0), (0, 3, 0)]
    assert tuple(outcomes[-1]) == (3, 3, 3)
    assert all(b <= min(t, e) and t + e - b <= 3 for t, e, b in outcomes)


def test_joint_probabilities_by_hand() -> None:
    outcomes = enumerate_cohort_outcomes(3)
    cdf = calculate_joint_cdf((0.2,), (0.5,), outcomes, 3)[0]
    pmf = np.diff(cdf, prepend=0.0)
    at = {tuple(int(v) for v in row): p for row, p in zip(outcomes, pmf, strict=True)}
    # nobody with either: (0.8 * 0.5)^3
    assert at[(0, 0, 0)] == pytest.approx(0.4**3)
    # one DLT with response, two responders without DLT: 3 * (0.2*0.5) * (0.8*0.5)^2
    assert at[(1, 3, 1)] == pytest.approx(3 * 0.1 * 0.4**2)
    # one DLT without response, one response without DLT, one with neither: 3! * 0.1 * 0.4 * 0.4
    assert at[(1, 1, 0)] == pytest.approx(6 * 0.1 * 0.4 * 0.4)
    assert cdf[-1] == pytest.approx(1.0)
    # ordered by DLTs first: the cdf at the end of each DLT group is the binomial cdf of the DLTs
    ends = [int(np.flatnonzero(outcomes[:, 0] == t)[-1]) for t in range(4)]
    assert cdf[ends] == pytest.approx(binom.cdf(np.arange(4), 3, 0.2))


def replay(
    settings: DesignSettings, tox: tuple[float, ...], eff: tuple[float, ...], u: np.ndarray
) -> list[tuple[int, list[int], list[int], list[int]]]:
    """Each row of u through the pure design stack cohort by cohort: (OBD index or -1, n, DLTs, responses)."""
    design = build_design(settings)
    size = settings.cohort_size
    outcomes = enumerate_cohort_outcomes(size)
    cdf = calculate_joint_cdf(tox, eff, outcomes, size)
    k = settings.n_doses
    results = []
    for row in u:
        n, y, e, b = [0] * k, [0] * k, [0] * k, [0] * k
        dose = settings.start_dose
        for i, draw in enumerate(row):
            j = min(int(np.searchsorted(cdf[dose - 1], draw)), len(outcomes) - 1)
            t_add, e_add, b_add = (int(v) for v in outcomes[j])
            n[dose - 1] += size
            y[dose - 1] += t_add
            e[dose - 1] += e_add
            b[dose - 1] += b_add
            if i == len(row) - 1:
                break
            state = DoseOutcomes(tuple(n), tuple(y), (0,) * k, dose, tuple(e), (), tuple(b))
            decision = design.decide(state)
            if decision.stop or decision.next_dose is None:
                break
            dose = decision.next_dose
        final = DoseOutcomes(tuple(n), tuple(y), (0,) * k, dose, tuple(e), (), tuple(b))
        obd = select_mtd(final, settings).mtd
        results.append((-1 if obd is None else obd - 1, n, y, e))
    return results


@pytest.mark.parametrize(
    "settings",
    [
        SETTINGS,
        DesignSettings(design="boin12", n_doses=4, start_dose=2, target=0.3, phi_e=0.3, u2=30, u3=50),
        DesignSettings(design="boin12", n_doses=4, start_dose=1, target=0.25, phi_e=0.2, cohort_size=1),
    ],
)
@pytest.mark.parametrize(
    ("tox", "eff"),
    [
        (TOX, EFF),
        ((0.30, 0.45, 0.60, 0.70), (0.30, 0.40, 0.50, 0.60)),  # toxic: doses eliminated, stops
        ((0.05, 0.05, 0.10, 0.10), (0.05, 0.10, 0.10, 0.15)),  # futile: no admissible dose
        ((0.02, 0.05, 0.10, 0.15), (0.60, 0.60, 0.60, 0.60)),  # plateau: exploration above 8 treated
    ],
)
def test_compiled_loop_equals_the_pure_design_replayed(
    settings: DesignSettings, tox: tuple[float, ...], eff: tuple[float, ...]
) -> None:
    cohorts = 10 if settings.cohort_size == 3 else 20
    u = draw_cohort_uniforms(100, cohorts, seed=13)
    compiled = simulate_boin12_trials(settings, tox, eff, cohorts, u)
    for t, (selected, n, y, e) in enumerate(replay(settings, tox, eff, u)):
        assert compiled.selected[t] == selected, t
        assert list(compiled.patients[t]) == n, t
        assert list(compiled.dlts[t]) == y, t
        assert list(compiled.responses[t]) == e, t


def test_the_replayed_scenarios_reach_every_ending() -> None:
    """The replay above is only worth something if its trials stop, select, cap and explore."""
    u = draw_cohort_uniforms(120, 10, seed=13)
    futile = simulate_boin12_trials(SETTINGS, (0.05, 0.05, 0.10, 0.10), (0.05, 0.10, 0.10, 0.15), 10, u)
    assert (futile.selected == -1).any() and (futile.patients.sum(axis=1) < 30).any()
    plateau = simulate_boin12_trials(SETTINGS, (0.02, 0.05, 0.10, 0.15), (0.6,) * 4, 10, u)
    assert (plateau.patients.max(axis=1) == 12).any()  # the cap of 12 at a dose ends trials early
    assert (plateau.selected >= 0).all()


def test_one_cohort_trials_by_hand() -> None:
    # One cohort at dose 1 and the trial ends: dose 2 is untried, so admissible, so the design never
    # stops; the only treated dose is the MTD and the OBD. Responses average 3 * p_E (Monte Carlo).
    trials = 40_000
    oc = simulate_boin12_operating_characteristics(SETTINGS, TOX, EFF, 1, trials, seed=6)
    assert oc.characteristics.selection_pct == (100.0, 0.0, 0.0, 0.0)
    assert oc.characteristics.patients == (3.0, 0.0, 0.0, 0.0)
    se = math.sqrt(3 * 0.2 * 0.8 / trials)
    assert abs(oc.responses[0] - 0.6) < 4.5 * se
    assert abs(oc.characteristics.dlts[0] - 0.15) < 4.5 * math.sqrt(3 * 0.05 * 0.95 / trials)


def test_same_seed_same_result_and_percentages_add_up() -> None:
    first = simulate_boin12_operating_characteristics(SETTINGS, TOX, EFF, 10, 3000, seed=6)
    assert first == simulate_boin12_operating_characteristics(SETTINGS, TOX, EFF, 10, 3000, seed=6)
    oc = first.characteristics
    assert sum(oc.selection_pct) + oc.stop_pct == pytest.approx(100.0)
    assert oc.mean_n == pytest.approx(sum(oc.patients))
    assert all(r <= p for r, p in zip(first.responses, oc.patients, strict=True))


@pytest.mark.parametrize(
    ("tox", "eff", "cohorts", "field"),
    [
        (TOX, (0.2, 0.4, 0.5), 10, "true_efficacy"),
        (TOX, (0.2, 1.4, 0.5, 0.5), 10, "true_efficacy[1]"),
        ((0.1, 0.2), EFF, 10, "true"),
        (TOX, EFF, 0, "cohorts"),
    ],
)
def test_bad_scenarios_name_the_field(
    tox: tuple[float, ...], eff: tuple[float, ...], cohorts: int, field: str
) -> None:
    with pytest.raises(InputError) as info:
        simulate_boin12_operating_characteristics(SETTINGS, tox, eff, cohorts, 10, seed=1)
    assert info.value.errors[0].field == field


def test_a_maximum_n_is_refused_not_ignored() -> None:
    with pytest.raises(InputError) as info:
        simulate_boin12_operating_characteristics(replace(SETTINGS, max_n=24), TOX, EFF, 10, 10, seed=1)
    assert info.value.errors[0].field == "max_n"


def test_only_boin12_is_simulated_here() -> None:
    with pytest.raises(InputError, match="boin12"):
        simulate_boin12_operating_characteristics(
            DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3), TOX, EFF, 10, 10, seed=1
        )


def calculate_exact_characteristics(
    settings: DesignSettings, tox: tuple[float, ...], eff: tuple[float, ...], cohorts: int
) -> tuple[list[float], list[float], list[float]]:
    """% selected, mean patients and mean responses per dose by enumerating every cohort outcome (with
    its multinomial probability) through the pure design stack."""
    design, obd = build_design(settings), make_boin12(settings)
    size, k = settings.cohort_size, settings.n_doses
    outcomes = enumerate_cohort_outcomes(size)
    pmf = np.diff(calculate_joint_cdf(tox, eff, outcomes, size), prepend=0.0, axis=1)
    selected, patients, responses = [0.0] * (k + 1), [0.0] * k, [0.0] * k

    def visit(counts: tuple[tuple[int, ...], ...], dose: int, done: int, weight: float) -> None:
        for j, (t, e, b) in enumerate(outcomes):
            n, y, r, both = (list(c) for c in counts)
            n[dose - 1] += size
            y[dose - 1] += int(t)
            r[dose - 1] += int(e)
            both[dose - 1] += int(b)
            w = weight * float(pmf[dose - 1, j])
            state = DoseOutcomes(tuple(n), tuple(y), (0,) * k, dose, tuple(r), (), tuple(both))
            decision = design.decide(state) if done + 1 < cohorts else None
            if decision is None or decision.stop or decision.next_dose is None:
                chosen = obd.select_obd(state)
                selected[0 if chosen is None else chosen] += 100 * w
                for d in range(k):
                    patients[d] += w * n[d]
                    responses[d] += w * r[d]
            else:
                visit((tuple(n), tuple(y), tuple(r), tuple(both)), decision.next_dose, done + 1, w)

    visit(((0,) * k,) * 4, settings.start_dose, 0, 1.0)
    return selected, patients, responses


def test_simulated_characteristics_agree_with_exact_enumeration() -> None:
    settings = DesignSettings(design="boin12", n_doses=3, start_dose=1, target=0.3, phi_e=0.3, cohort_size=2)
    tox, eff = (0.1, 0.3, 0.5), (0.3, 0.5, 0.6)
    selected, patients, responses = calculate_exact_characteristics(settings, tox, eff, 3)
    assert sum(selected) == pytest.approx(100.0) and sum(patients) == pytest.approx(6.0)
    trials = 200_000
    oc = simulate_boin12_operating_characteristics(settings, tox, eff, 3, trials, seed=6)
    simulated = (oc.characteristics.stop_pct, *oc.characteristics.selection_pct)
    for exact, sim in zip(selected, simulated, strict=True):
        se = 100 * math.sqrt(max(exact / 100 * (1 - exact / 100), 1e-6) / trials)
        assert abs(sim - exact) < 4.5 * se
    for exact, sim in zip(patients, oc.characteristics.patients, strict=True):
        assert abs(sim - exact) < 4.5 * 3 / math.sqrt(trials)  # n per dose lies in [0, 6]: sd <= 3
    for exact, sim in zip(responses, oc.responses, strict=True):
        assert abs(sim - exact) < 4.5 * 3 / math.sqrt(trials)
