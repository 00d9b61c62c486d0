"""CRM with dfcrm's conventions: posterior by quadrature against adaptive integration, getprior, rules."""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import quad

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, outcomes_from_counts, select_mtd
from cartrial.escalation.designs.crm import (
    CrmModel,
    CrmModelName,
    calculate_crm_posterior,
    calculate_skeleton,
    make_quadrature_grid,
    select_crm_dose,
)

from .helpers import outcomes

# dfcrm ?crm example: prior, target 0.2, and ten patients' levels and outcomes.
DFCRM_PRIOR = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
DFCRM_LEVEL = (3, 4, 4, 3, 3, 4, 3, 2, 2, 2)
DFCRM_TOX = (0, 0, 1, 0, 0, 1, 1, 0, 0, 0)


def dfcrm_moments(model: CrmModel, level: tuple[int, ...], tox: tuple[int, ...]) -> tuple[float, float]:
    """dfcrm `crm`, method 'bayes': posterior mean and sd of beta by adaptive integration."""

    def posterior(a: float) -> float:
        p = model.calculate_toxicity(np.asarray([a]))[0]
        value = math.exp(-a * a / 2 / model.prior_var)
        for dose, y in zip(level, tox, strict=True):
            value *= p[dose - 1] ** y * (1 - p[dose - 1]) ** (1 - y)
        return value

    den = quad(posterior, -10, 10, epsabs=0, limit=200)[0]
    mean = quad(lambda a: a * posterior(a), -10, 10, epsabs=0, limit=200)[0] / den
    second = quad(lambda a: a * a * posterior(a), -10, 10, epsabs=0, limit=200)[0] / den
    return mean, math.sqrt(second - mean * mean)


@pytest.mark.parametrize("form", ["empiric", "logistic"])
def test_posterior_matches_dfcrm_integration_on_its_example(form: str) -> None:
    model = CrmModel(DFCRM_PRIOR, "empiric" if form == "empiric" else "logistic")
    treated = [DFCRM_LEVEL.count(k) for k in range(1, 7)]
    dlts = [sum(y for lv, y in zip(DFCRM_LEVEL, DFCRM_TOX, strict=True) if lv == k) for k in range(1, 7)]
    post = calculate_crm_posterior(model, make_quadrature_grid(model), treated, dlts, 0.2)
    mean, sd = dfcrm_moments(model, DFCRM_LEVEL, DFCRM_TOX)
    assert post.beta_mean == pytest.approx(mean, abs=1e-9)
    assert post.beta_sd == pytest.approx(sd, abs=1e-9)
    labels = model.dose_labels
    if form == "empiric":
        expected = [s ** math.exp(mean) for s in DFCRM_PRIOR]
    else:
        expected = [1 / (1 + math.exp(-3 - math.exp(mean) * x)) for x in labels]
    assert post.posterior_toxicity == pytest.approx(expected, abs=1e-9)
    assert select_crm_dose(post.posterior_toxicity, 0.2) == 2


def test_larger_trials_still_match_adaptive_integration() -> None:
    model = CrmModel((0.05, 0.12, 0.25, 0.40), "logistic")
    level = (1,) * 6 + (2,) * 12 + (3,) * 24 + (4,) * 18
    tox = (0,) * 6 + (0,) * 10 + (1,) * 2 + (0,) * 18 + (1,) * 6 + (0,) * 10 + (1,) * 8
    treated = [level.count(k) for k in range(1, 5)]
    dlts = [sum(y for lv, y in zip(level, tox, strict=True) if lv == k) for k in range(1, 5)]
    post = calculate_crm_posterior(model, make_quadrature_grid(model), treated, dlts, 0.25)
    assert post.beta_mean == pytest.approx(dfcrm_moments(model, level, tox)[0], abs=1e-6)


def test_recommendation_rules_of_dfcrm() -> None:
    assert select_crm_dose((0.05, 0.1, 0.15), 0.2) == 3  # all below: the highest
    assert select_crm_dose((0.3, 0.4, 0.5), 0.2) == 1  # all above: the lowest
    assert select_crm_dose((0.0625, 0.125, 0.375), 0.25) == 2  # an exact tie goes to the lower dose


@pytest.mark.parametrize(("nu", "form"), [(1, "empiric"), (3, "empiric"), (5, "empiric"), (3, "logistic")])
def test_getprior_indifference_intervals(nu: int, form: str) -> None:
    """Lee & Cheung 2009: where doses k and k+1 are equally good, they sit at target -+ halfwidth."""
    model_name: CrmModelName = "empiric" if form == "empiric" else "logistic"
    skeleton = calculate_skeleton(0.05, 0.25, nu, 5, model_name)
    assert skeleton[nu - 1] == pytest.approx(0.25)
    model = CrmModel(skeleton, model_name)
    labels = model.dose_labels
    for k in range(4):
        # the slope at which dose k sits at target - halfwidth ...
        if form == "empiric":
            slope = math.log(0.20) / math.log(labels[k])
        else:
            slope = (math.log(0.20 / 0.80) - 3) / labels[k]
        # ... puts dose k + 1 at target + halfwidth
        curve = model.calculate_toxicity(np.asarray([math.log(slope)]))[0]
        assert curve[k] == pytest.approx(0.20)
        assert curve[k + 1] == pytest.approx(0.30)


def crm(**changes: object) -> DesignSettings:
    values: dict[str, object] = {
        "design": "crm",
        "n_doses": 4,
        "start_dose": 1,
        "target": 0.25,
        "skeleton": (0.05, 0.12, 0.25, 0.40),
    }
    values.update(changes)
    return DesignSettings(**values)  # type: ignore[arg-type]


def test_no_skipping_and_details() -> None:
    decision = build_design(crm()).decide(outcomes("1NNN"))
    assert decision.next_dose == 2  # the model would skip to a higher dose
    assert "no skipping" in decision.reason
    assert set(decision.details) >= {"skeleton", "beta_mean", "beta_sd", "posterior_toxicity"}


def test_safety_stop_on_the_lowest_dose() -> None:
    design = build_design(crm())
    decision = design.decide(outcomes("1TTT"))
    assert decision.stop and decision.details["overdose_probability_lowest"] > 0.95
    assert not design.decide(outcomes("1NTT")).stop
    assert select_mtd(outcomes_from_counts((3, 0, 0, 0), (3, 0, 0, 0), None), crm()).mtd is None


def test_calibrated_skeleton_and_bad_settings() -> None:
    settings = crm(skeleton=None, skeleton_halfwidth=0.05, skeleton_nu=3)
    details = build_design(settings).decide(outcomes("1NNN")).details
    assert details["skeleton"] == pytest.approx(calculate_skeleton(0.05, 0.25, 3, 4))
    with pytest.raises(InputError, match="skeleton"):
        build_design(crm(skeleton=None))
    with pytest.raises(InputError, match="skeleton"):
        build_design(crm(skeleton=(0.1, 0.2)))
    with pytest.raises(InputError, match="skeleton"):
        build_design(crm(skeleton=(0.1, 0.3, 0.2, 0.4)))
    with pytest.raises(InputError, match="model"):
        build_design(crm(model="probit"))


def test_dfcrm_coherence_after_a_toxic_cohort() -> None:
    # skeleton well below the target: the model wants to go up after 1/3 at dose 2 ...
    low = crm(skeleton=(0.01, 0.02, 0.04, 0.08))
    after_dlt = outcomes("1NNN 2NTN")
    assert build_design(low).decide(after_dlt).next_dose == 2  # ... but 1/3 >= 0.25: no escalation
    free = build_design(replace(low, coherent_escalation=False)).decide(after_dlt)
    assert free.next_dose == 3
    assert build_design(low).decide(outcomes("1NNN 2NNN")).next_dose == 3


def test_cutoff_one_turns_the_safety_stop_off() -> None:
    assert not build_design(crm(cutoff_eli=1.0)).decide(outcomes("1TTT")).stop
