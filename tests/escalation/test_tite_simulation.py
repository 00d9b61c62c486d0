"""The compiled TITE-CRM calendar-time loop replayed through the pure design stack, event by event."""

import numpy as np
import pytest

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, DoseOutcomes, build_design, select_mtd
from cartrial.escalation.configure import make_crm
from cartrial.escalation.simulation import make_crm_kernel_model, select_crm_kernel
from cartrial.escalation.tite_simulation import (
    calculate_crm_breakpoints,
    simulate_tite_operating_characteristics,
    simulate_tite_trials,
)

TRUE = (0.05, 0.15, 0.30, 0.45)


def settings(**changes: object) -> DesignSettings:
    values: dict[str, object] = {
        "design": "tite-crm",
        "n_doses": 4,
        "start_dose": 1,
        "target": 0.3,
        "skeleton": (0.10, 0.20, 0.30, 0.45),
        "window_days": 28.0,
    }
    values.update(changes)
    return DesignSettings(**values)  # type: ignore[arg-type]


def data_at(
    now: float, k: int, arrival: list[float], dose: list[int], tox: list[bool], when: list[float]
) -> DoseOutcomes:
    treated, dlts, pending = [0] * k, [0] * k, [0] * k
    followup: list[list[float | None]] = [[] for _ in range(k)]
    for a, d, t, w in zip(arrival, dose, tox, when, strict=True):
        if t and a + w <= now:
            treated[d] += 1
            dlts[d] += 1
        elif now >= a + 28.0:
            treated[d] += 1
        else:
            pending[d] += 1
            followup[d].append(now - a)
    current = dose[-1] + 1 if dose else None
    return DoseOutcomes(
        tuple(treated),
        tuple(dlts),
        tuple(pending),
        current,
        pending_followup=tuple(tuple(f) for f in followup),
    )


def replay(s: DesignSettings, u: np.ndarray, interval: float, poisson: bool) -> tuple[int, list[int], float]:
    design = build_design(s)
    arrival: list[float] = []
    dose: list[int] = []
    tox: list[bool] = []
    when: list[float] = []
    now, d = 0.0, s.start_dose - 1
    for j in range(u.shape[0]):
        if j > 0:
            while True:
                decision = design.decide(data_at(now, s.n_doses, arrival, dose, tox, when))
                if decision.stop:
                    n = [dose.count(x) for x in range(s.n_doses)]
                    if 1 in decision.eliminated:  # stopped for toxicity: no dose
                        return -1, n, arrival[-1] + 28.0
                    final = data_at(1e9, s.n_doses, arrival, dose, tox, when)
                    mtd = select_mtd(final, s).mtd
                    return (-1 if mtd is None else mtd - 1), n, arrival[-1] + 28.0
                if decision.action == "suspend":
                    now = min(
                        a + (w if t else 28.0)
                        for a, t, w in zip(arrival, tox, when, strict=True)
                        if not (t and a + w <= now) and now < a + 28.0
                    )
                    continue
                assert decision.next_dose is not None
                d = decision.next_dose - 1
                break
        arrival.append(now)
        dose.append(d)
        tox.append(bool(u[j, 0] < TRUE[d]))
        when.append(float(u[j, 1] * 28.0))
        now += float(-np.log1p(-u[j, 2]) * interval) if poisson else interval
    final = data_at(1e9, s.n_doses, arrival, dose, tox, when)
    mtd = select_mtd(final, s).mtd
    return (-1 if mtd is None else mtd - 1), [dose.count(x) for x in range(s.n_doses)], arrival[-1] + 28.0


@pytest.mark.parametrize(
    ("changes", "interval", "poisson"),
    [
        ({}, 7.0, False),
        ({"max_pending_fraction": 1.0}, 5.0, True),
        ({"model": "logistic", "start_dose": 2}, 10.0, True),
        ({"design": "tite-boin"}, 7.0, False),
        ({"design": "tite-boin", "n_earlystop": 6, "extra_safe": True}, 4.0, True),
        ({"design": "tite-boin", "max_pending_fraction": 1.0, "start_dose": 2}, 3.0, True),
        ({"design": "tite-boin", "tite_method": "yuan2018"}, 7.0, False),
        ({"design": "tite-boin", "tite_method": "yuan2018", "n_earlystop": 6, "extra_safe": True}, 4.0, True),
        ({"design": "tite-boin", "tite_method": "yuan2018", "start_dose": 2, "target": 0.25}, 3.0, True),
    ],
)
def test_compiled_tite_loop_equals_the_pure_design(
    changes: dict[str, object], interval: float, poisson: bool
) -> None:
    s = settings(**changes)
    u = np.random.default_rng(3).random((25, 12, 3))
    compiled = simulate_tite_trials(s, TRUE, 12, interval, "poisson" if poisson else "fixed", u)
    for t in range(u.shape[0]):
        selected, n, end = replay(s, u[t], interval, poisson)
        assert compiled.selected[t] == selected, t
        assert list(compiled.patients[t]) == n, t
        assert compiled.duration[t] == pytest.approx(end), t


def test_fixed_accrual_without_suspension_lasts_n_intervals_plus_a_window() -> None:
    oc = simulate_tite_operating_characteristics(
        settings(max_pending_fraction=1.0), TRUE, 12, 7.0, "fixed", 200, 6
    )
    assert oc.mean_duration_days == pytest.approx(11 * 7.0 + 28.0)
    assert oc.characteristics.mean_n == 12
    suspended = simulate_tite_operating_characteristics(settings(), TRUE, 12, 7.0, "fixed", 200, 6)
    assert suspended.mean_duration_days > oc.mean_duration_days


def test_only_tite_crm_and_positive_accrual() -> None:
    with pytest.raises(InputError, match="accrual_days"):
        simulate_tite_operating_characteristics(settings(), TRUE, 12, 0.0, "fixed", 10, 1)
    with pytest.raises(InputError, match="design"):
        simulate_tite_operating_characteristics(settings(design="crm"), TRUE, 12, 7.0, "fixed", 10, 1)
    boin = simulate_tite_operating_characteristics(
        settings(design="tite-boin", max_pending_fraction=1.0), TRUE, 12, 7.0, "fixed", 200, 6
    )
    assert boin.mean_duration_days == pytest.approx(11 * 7.0 + 28.0)


@pytest.mark.parametrize(
    "changes",
    [{}, {"model": "logistic"}, {"skeleton": (0.02, 0.06, 0.12, 0.2, 0.3), "n_doses": 5, "target": 0.2}],
)
def test_breakpoints_give_the_kernel_recommendation_for_every_mean(changes: dict[str, object]) -> None:
    model = make_crm_kernel_model(make_crm(settings(**changes)))
    breakpoints = calculate_crm_breakpoints(model)
    near = [np.nextafter(b, direction) for b in breakpoints for direction in (-np.inf, np.inf)]
    means = [*np.linspace(-11.0, 11.0, 4001), *breakpoints, *near, float("nan")]
    for mean in means:
        assert int(np.sum(mean >= breakpoints)) == select_crm_kernel(float(mean), model), mean
