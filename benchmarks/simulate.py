"""Simulated trials per second for each design: 4 doses, 10 cohorts of 3, one process.

Run: .venv/bin/python benchmarks/simulate.py [--trials N]
The first (small) run of each design compiles and caches the numba loops; the timed run follows.
"""

from __future__ import annotations

import argparse
import time

from cartrial.escalation import DesignSettings
from cartrial.escalation.backfill_calendar import simulate_backfill_calendar_operating_characteristics
from cartrial.escalation.backfill_simulation import simulate_backfill_operating_characteristics
from cartrial.escalation.boin12_simulation import simulate_boin12_operating_characteristics
from cartrial.escalation.simulation import simulate_operating_characteristics
from cartrial.escalation.tite_simulation import simulate_tite_operating_characteristics

TRUE_TOX = (0.05, 0.10, 0.20, 0.30)
DESIGNS = (
    DesignSettings(design="3+3", n_doses=4, start_dose=1),
    DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3),
    DesignSettings(design="mtpi2", n_doses=4, start_dose=1, target=0.3),
    DesignSettings(design="i3+3", n_doses=4, start_dose=1, target=0.3),
    DesignSettings(design="crm", n_doses=4, start_dose=1, target=0.3, skeleton=(0.1, 0.2, 0.3, 0.4)),
    DesignSettings(
        design="crm", n_doses=4, start_dose=1, target=0.3, skeleton=(0.1, 0.2, 0.3, 0.4), model="logistic"
    ),
)


def measure(settings: DesignSettings, trials: int) -> float:
    """Trials per second of one timed run (after a warm-up run that compiles)."""
    simulate_operating_characteristics(settings, TRUE_TOX, 10, 1000, seed=1)
    start = time.perf_counter()
    simulate_operating_characteristics(settings, TRUE_TOX, 10, trials, seed=6)
    return trials / (time.perf_counter() - start)


TITE = DesignSettings(
    design="tite-crm", n_doses=4, start_dose=1, target=0.3, skeleton=(0.1, 0.2, 0.3, 0.4), window_days=28.0
)
TITE_ACCRUAL_DAYS = 7.0


TITE_BOIN = DesignSettings(design="tite-boin", n_doses=4, start_dose=1, target=0.3, window_days=28.0)


def measure_tite(settings: DesignSettings, trials: int) -> float:
    """30 patients one at a time, arrivals every 7 days, 28-day DLT window."""
    simulate_tite_operating_characteristics(settings, TRUE_TOX, 30, TITE_ACCRUAL_DAYS, "fixed", 100, seed=1)
    start = time.perf_counter()
    simulate_tite_operating_characteristics(
        settings, TRUE_TOX, 30, TITE_ACCRUAL_DAYS, "fixed", trials, seed=6
    )
    return trials / (time.perf_counter() - start)


BF_BOIN = DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3, backfill=True)
BACKFILL_SIZE = 3


def measure_backfill(trials: int) -> float:
    """BF-BOIN: 10 escalation cohorts of 3, each with a backfill cohort of up to 3 (cap 12)."""
    simulate_backfill_operating_characteristics(BF_BOIN, TRUE_TOX, 10, BACKFILL_SIZE, 1000, seed=1)
    start = time.perf_counter()
    simulate_backfill_operating_characteristics(BF_BOIN, TRUE_TOX, 10, BACKFILL_SIZE, trials, seed=6)
    return trials / (time.perf_counter() - start)


def measure_backfill_calendar(trials: int) -> float:
    """BF-BOIN in calendar time: 10 cohorts of 3, Poisson arrivals 7 days apart on average, 28-day
    window, backfill up to 12 a dose; each trial is run as BF-BOIN and as plain BOIN on the same arrivals."""
    days = TITE_ACCRUAL_DAYS
    simulate_backfill_calendar_operating_characteristics(BF_BOIN, TRUE_TOX, 10, days, "poisson", 100, seed=1)
    start = time.perf_counter()
    simulate_backfill_calendar_operating_characteristics(
        BF_BOIN, TRUE_TOX, 10, days, "poisson", trials, seed=6
    )
    return trials / (time.perf_counter() - start)


# Lin et al. 2020's worked settings (phi_T 0.35, phi_E 0.25, cap 12 at a dose), efficacy rising then flat.
BOIN12 = DesignSettings(design="boin12", n_doses=4, start_dose=1, target=0.35, phi_e=0.25, n_earlystop=12)
TRUE_EFFICACY = (0.20, 0.40, 0.50, 0.50)


def measure_boin12(trials: int) -> float:
    """BOIN12: 10 cohorts of 3, toxicity and efficacy per patient."""
    simulate_boin12_operating_characteristics(BOIN12, TRUE_TOX, TRUE_EFFICACY, 10, 1000, seed=1)
    start = time.perf_counter()
    simulate_boin12_operating_characteristics(BOIN12, TRUE_TOX, TRUE_EFFICACY, 10, trials, seed=6)
    return trials / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1_000_000)
    args = parser.parse_args()
    for settings in DESIGNS:
        rate = measure(settings, args.trials)
        name = f"{settings.design} ({settings.model})" if settings.design == "crm" else settings.design
        print(f"{name:16s} {rate:12,.0f} trials/s  ({args.trials:,} trials, 4 doses, 10 cohorts of 3)")
    for settings, trials in (
        (TITE, max(args.trials // 100, 1000)),
        (TITE_BOIN, max(args.trials // 10, 1000)),
    ):
        rate = measure_tite(settings, trials)
        print(f"{settings.design:16s} {rate:12,.0f} trials/s  ({trials:,} trials, 30 patients one by one)")
    rate = measure_backfill(args.trials)
    print(
        f"{'bf-boin':16s} {rate:12,.0f} trials/s  ({args.trials:,} trials, 10 cohorts of 3 + backfill of 3)"
    )
    trials = max(args.trials // 10, 1000)
    rate = measure_backfill_calendar(trials)
    print(f"{'bf-boin calendar':16s} {rate:12,.0f} trials/s  ({trials:,} trials, paired with BOIN)")
    trials = max(args.trials // 2, 1000)
    rate = measure_boin12(trials)
    print(f"{'boin12':16s} {rate:12,.0f} trials/s  ({trials:,} trials, 10 cohorts of 3, cap 12 at a dose)")


if __name__ == "__main__":
    main()
