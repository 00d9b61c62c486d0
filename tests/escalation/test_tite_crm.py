"""TITE-CRM (Cheung & Chappell 2000) with dfcrm `titecrm`'s linear weights, and accrual suspension."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from cartrial.errors import InputError
from cartrial.escalation import (
    DesignSettings,
    EscalationState,
    PatientOutcome,
    build_design,
    summarise_outcomes,
)
from cartrial.escalation.designs.crm import CrmModel, calculate_tite_weight

SKELETON = (0.05, 0.12, 0.25, 0.40)


def tite(**changes: object) -> DesignSettings:
    values: dict[str, object] = {
        "design": "tite-crm",
        "n_doses": 4,
        "start_dose": 1,
        "target": 0.25,
        "skeleton": SKELETON,
        "window_days": 28.0,
    }
    values.update(changes)
    return DesignSettings(**values)  # type: ignore[arg-type]


PATIENTS = (
    PatientOutcome(dose_level=1, dlt="no", followup_days=28),
    PatientOutcome(dose_level=1, dlt="no", followup_days=28),
    PatientOutcome(dose_level=1, dlt="no", followup_days=28),
    PatientOutcome(dose_level=2, dlt="no", followup_days=28),
    PatientOutcome(dose_level=2, dlt="yes", followup_days=9),
    PatientOutcome(dose_level=2, dlt="no", followup_days=28),
    PatientOutcome(dose_level=3, dlt="pending", followup_days=14),
    PatientOutcome(dose_level=3, dlt="pending", followup_days=7),
    PatientOutcome(dose_level=3, dlt="no", followup_days=28),
)


def dfcrm_titecrm_mean(levels: list[int], tox: list[int], weights: list[float]) -> float:
    """dfcrm `titecrm` (empiric, bayes): E[beta] with likelihood p^y (1 - w p)^(1 - y), w = 1 if y = 1."""
    model = CrmModel(SKELETON)

    def posterior(a: float) -> float:
        p = model.calculate_toxicity(np.asarray([a]))[0]
        value = math.exp(-a * a / 2 / 1.34)
        for level, y, w in zip(levels, tox, weights, strict=True):
            value *= p[level - 1] ** y * (1 - (1.0 if y else w) * p[level - 1]) ** (1 - y)
        return value

    den = quad(posterior, -10, 10, epsabs=0, limit=200)[0]
    return float(quad(lambda a: a * posterior(a), -10, 10, epsabs=0, limit=200)[0] / den)


def test_weighted_posterior_matches_dfcrm_titecrm() -> None:
    outcomes = summarise_outcomes(EscalationState(patients=PATIENTS), 4)
    decision = build_design(tite(max_pending_fraction=1.0)).decide(outcomes)
    levels = [p.dose_level for p in PATIENTS]
    tox = [1 if p.dlt == "yes" else 0 for p in PATIENTS]
    weights = [1.0 if p.dlt != "pending" else (p.followup_days or 0) / 28 for p in PATIENTS]
    assert decision.design == "tite-crm"
    assert decision.details["beta_mean"] == pytest.approx(dfcrm_titecrm_mean(levels, tox, weights), abs=1e-9)
    assert decision.action in ("escalate", "stay", "de-escalate")


def test_linear_weight_is_capped_and_needs_follow_up() -> None:
    assert calculate_tite_weight(14, 28, 1) == 0.5
    assert calculate_tite_weight(40, 28, 1) == 1.0
    with pytest.raises(InputError, match="followup_days"):
        calculate_tite_weight(None, 28, 2)


def test_accrual_is_suspended_when_more_than_half_are_pending() -> None:
    outcomes = summarise_outcomes(EscalationState(patients=PATIENTS), 4)
    decision = build_design(tite()).decide(outcomes)  # 2 of 3 pending at dose 3
    assert (decision.action, decision.next_dose) == ("suspend", 3)
    assert "beta_mean" in decision.details
    fewer = summarise_outcomes(EscalationState(patients=PATIENTS[:7] + PATIENTS[8:]), 4)  # 1 of 2 pending
    assert build_design(tite()).decide(fewer).action != "suspend"


def test_plain_crm_waits_for_every_outcome() -> None:
    outcomes = summarise_outcomes(EscalationState(patients=PATIENTS), 4)
    settings = tite(design="crm")
    assert build_design(settings).decide(outcomes).action == "suspend"
