"""R BOIN get.oc's trial loop, transcribed statement by statement (stateful, as R writes it), against
the compiled simulator on the same DLT counts: the stateless design reproduces R's loop exactly."""

import numpy as np
import pytest

from cartrial.escalation import DesignSettings, outcomes_from_counts, select_boin_mtd
from cartrial.escalation.designs.boin import calculate_boin_boundary
from cartrial.escalation.rules import calculate_overdose_probability
from cartrial.escalation.simulation import calculate_binomial_cdf, draw_cohort_uniforms, simulate_trials


def get_oc_trial(
    draws: np.ndarray,
    p_true: tuple[float, ...],
    target: float,
    cohortsize: int,
    n_earlystop: int,
    cutoff_eli: float,
    extrasafe: bool,
    startdose: int,
) -> tuple[int, list[int], list[int]]:
    ncohort = len(draws)
    ndose = len(p_true)
    npts = ncohort * cohortsize
    rows = calculate_boin_boundary(target, npts, cutoff_eli=cutoff_eli).rows
    b_e = [r.escalate_at_most for r in rows]
    b_d = [r.deescalate_at_least for r in rows]
    b_elim = [r.eliminate_at_least for r in rows]
    cdf = calculate_binomial_cdf(p_true, cohortsize)
    y = [0] * ndose
    n = [0] * ndose
    earlystop = 0
    d = startdose - 1
    elimi = [0] * ndose
    for i in range(ncohort):
        newcohort = int(np.searchsorted(cdf[d], draws[i]))
        if sum(n) + cohortsize >= npts:
            y[d] += newcohort
            n[d] += npts - sum(n)
            break
        y[d] += newcohort
        n[d] += cohortsize
        if b_elim[n[d] - 1] is not None:
            if y[d] >= b_elim[n[d] - 1]:  # type: ignore[operator]
                for k in range(d, ndose):
                    elimi[k] = 1
                if d == 0:
                    earlystop = 1
                    break
            extra = extrasafe and d == 0 and n[0] >= 3
            if extra and calculate_overdose_probability(n[0], y[0], target) > cutoff_eli - 0.05:
                earlystop = 1
                break
        nd = n[d] - 1
        if n[d] >= n_earlystop and (
            (b_e[nd] < y[d] < b_d[nd])
            or (d == 0 and y[d] >= b_d[nd])
            or ((d == ndose - 1 or elimi[d + 1] == 1) and y[d] <= b_e[nd])
        ):
            break
        if y[d] <= b_e[nd] and d != ndose - 1:
            if elimi[d + 1] == 0:
                d += 1
        elif y[d] >= b_d[nd] and d != 0:
            d -= 1
    if earlystop == 1:
        return -1, n, y
    mtd = select_boin_mtd(outcomes_from_counts(tuple(n), tuple(y), None), target, cutoff_eli, extrasafe).mtd
    return (-1 if mtd is None else mtd - 1), n, y


@pytest.mark.parametrize(
    ("p_true", "target", "n_earlystop", "extrasafe", "startdose"),
    [
        ((0.05, 0.15, 0.30, 0.45, 0.60), 0.3, 100, False, 1),  # R BOIN ?get.oc example scenario
        ((0.10, 0.25, 0.40, 0.55), 0.25, 12, True, 2),
        ((0.40, 0.55, 0.65, 0.75), 0.3, 9, True, 1),
    ],
)
def test_stateless_design_reproduces_r_get_oc_loop(
    p_true: tuple[float, ...], target: float, n_earlystop: int, extrasafe: bool, startdose: int
) -> None:
    settings = DesignSettings(
        design="boin",
        n_doses=len(p_true),
        start_dose=startdose,
        target=target,
        n_earlystop=n_earlystop,
        extra_safe=extrasafe,
    )
    u = draw_cohort_uniforms(400, 12, seed=2)
    compiled = simulate_trials(settings, p_true, 12, u)
    for t in range(u.shape[0]):
        selected, n, y = get_oc_trial(u[t], p_true, target, 3, n_earlystop, 0.95, extrasafe, startdose)
        assert (int(compiled.selected[t]), list(compiled.patients[t]), list(compiled.dlts[t])) == (
            selected,
            n,
            y,
        )
