"""Benchmark: NCA profiles per second for 10,000 subjects × 12 samples (goal ≥ 20,000 profiles/s).

Profiles are CAR-T-like (expansion to a peak near day 10, bi-exponential decline, the first and
last samples BLQ), drawn with a fixed seed; intervals are the defaults (0–28 and 0–∞). Figures:
the compiled kernel on packed arrays (`calculate_nca_arrays`); the end-to-end result, a columnar
`NcaBatch` whose every value and exclusion can be read (`calculate_nca_batch`, the goal's figure);
that batch with every row (plain tuples, `records()`) and λz point made, as `cartrial nca` walks
them for --json/--csv; every row as an `NcaParameter` (`rows()`); and one `SubjectNca` object per
profile (`calculate_nca`).
Compilation is paid once before timing.

    .venv/bin/python benchmarks/nca.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from cartrial.kinetics import (
    ConcentrationProfile,
    calculate_nca,
    calculate_nca_arrays,
    calculate_nca_batch,
)

N_SUBJECTS = 10_000
DAYS = (0.0, 1.0, 4.0, 7.0, 10.0, 14.0, 21.0, 28.0, 56.0, 90.0, 180.0, 365.0)
LLOQ = 10.0
SEED = 20240601


def make_profiles(n: int, seed: int) -> list[ConcentrationProfile]:
    rng = np.random.default_rng(seed)
    days = np.array(DAYS)
    profiles = []
    for i in range(n):
        peak = rng.lognormal(np.log(5e4), 0.8)
        t_peak = rng.uniform(7.0, 14.0)
        fast, slow = rng.uniform(0.1, 0.3), rng.uniform(0.005, 0.03)
        rise = peak * np.exp(-((days - t_peak) ** 2) / 18.0)
        fall = peak * (0.9 * np.exp(-fast * (days - t_peak)) + 0.1 * np.exp(-slow * (days - t_peak)))
        level = np.where(days <= t_peak, rise, fall) * rng.lognormal(0.0, 0.2, days.size)
        level[0] = 0.0
        blq = level < LLOQ
        profiles.append(
            ConcentrationProfile(
                subject=f"S{i:05d}",
                dose=float(rng.choice((25.0, 50.0, 75.0, 100.0))),
                times=DAYS,
                values=tuple(float(v) for v in np.where(blq, 0.0, level)),
                blq=tuple(bool(b) for b in blq),
                lloq=(LLOQ,) * days.size,
            )
        )
    return profiles


def measure(
    label: str, run: Callable[[list[ConcentrationProfile]], object], profiles: list[ConcentrationProfile]
) -> None:
    run(profiles[:10])
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        run(profiles)
        best = min(best, time.perf_counter() - started)
    print(f"{label}: {len(profiles) / best:,.0f} profiles/s ({best * 1e3:.0f} ms for {len(profiles):,})")


def calculate_records(profiles: list[ConcentrationProfile]) -> object:
    """The batch, every row of it (plain tuples) and every λz point, as `cartrial nca` walks them."""
    batch = calculate_nca_batch(profiles)
    return list(batch.records()), list(batch.lambda_z())


def calculate_rows(profiles: list[ConcentrationProfile]) -> object:
    """The batch and every row of it as an `NcaParameter`."""
    return list(calculate_nca_batch(profiles).rows())


def main() -> None:
    profiles = make_profiles(N_SUBJECTS, SEED)
    measure("kernel (calculate_nca_arrays)", calculate_nca_arrays, profiles)
    measure("end to end, columnar batch (calculate_nca_batch)", calculate_nca_batch, profiles)
    measure(
        "batch + every row and λz point, as the CLI walks them (records, lambda_z)",
        calculate_records,
        profiles,
    )
    measure("batch + every row as an NcaParameter (rows)", calculate_rows, profiles)
    measure("one SubjectNca per profile (calculate_nca)", calculate_nca, profiles)


if __name__ == "__main__":
    main()
