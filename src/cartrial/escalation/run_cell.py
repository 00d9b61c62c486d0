"""One simulation cell: a design's settings meet a scenario, run by that design's simulator.

`cartrial simulate` runs one cell from its flags and every cell of a grid through `simulate_cell`, so
the choice of simulator (cohort designs, TITE designs in calendar time, BF-BOIN, BOIN12) is made here
once. A cell's result carries the per-dose series and scalars every design reports, plus those only
some report: responses (BOIN12), escalation and backfill patients (BF-BOIN), duration (TITE designs,
and BF-BOIN in calendar time, with plain BOIN's duration on the same arrivals beside it).
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.errors import InputError
from cartrial.escalation.backfill_calendar import (
    CalendarDesignSummary,
    simulate_backfill_calendar_operating_characteristics,
)
from cartrial.escalation.backfill_simulation import (
    BackfillOperatingCharacteristics,
    simulate_backfill_operating_characteristics,
)
from cartrial.escalation.boin12_simulation import simulate_boin12_operating_characteristics
from cartrial.escalation.configure import DesignSettings
from cartrial.escalation.simulation import simulate_operating_characteristics
from cartrial.escalation.tite_simulation import Accrual, simulate_tite_operating_characteristics

# The designs simulated in calendar time, one patient at a time (tite_simulation).
TITE_DESIGNS = ("tite-crm", "tite-boin")
# A cell's per-dose series and scalars, in the order outputs show them (CellResult's fields).
CELL_SERIES = ("selection_pct", "escalation_patients", "backfill_patients", "patients", "dlts", "responses")
CELL_SCALARS = (
    "stop_pct",
    "mean_n",
    "mean_backfill_n",
    "mean_unevaluated_backfill_n",
    "mean_duration_days",
    "boin_mean_duration_days",
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """The truth a cell simulates: a DLT probability per dose and, for BOIN12, a response probability."""

    name: str
    true_tox: tuple[float, ...]
    true_efficacy: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How a cell is run: cohorts (x cohort size = patients for the TITE designs), trials, seed, and
    the settings only some designs read."""

    cohorts: int
    trials: int
    seed: int
    accrual_days: float | None = None
    """TITE designs and BF-BOIN in calendar time: mean days between arrivals."""
    accrual: Accrual = "fixed"
    backfill_size: int | None = None
    """BF-BOIN cohort by cohort: backfill patients per escalation cohort; None = the cohort size."""


@dataclass(frozen=True, slots=True)
class CellResult:
    """Operating characteristics of one cell: percentages 0-100, means per trial; None where the
    design does not report the quantity."""

    selection_pct: tuple[float, ...]
    patients: tuple[float, ...]
    dlts: tuple[float, ...]
    stop_pct: float
    mean_n: float
    responses: tuple[float, ...] | None = None
    escalation_patients: tuple[float, ...] | None = None
    backfill_patients: tuple[float, ...] | None = None
    mean_backfill_n: float | None = None
    mean_unevaluated_backfill_n: float | None = None
    """BF-BOIN in calendar time: backfill patients still in their window when the trial ends."""
    mean_duration_days: float | None = None
    boin_mean_duration_days: float | None = None
    """BF-BOIN in calendar time: plain BOIN's mean duration on the same arrivals and patients."""

    def per_dose(self) -> dict[str, tuple[float, ...]]:
        """The per-dose series the design reports, by name, in the order of CELL_SERIES."""
        series = ((name, getattr(self, name)) for name in CELL_SERIES)
        return {name: values for name, values in series if values is not None}

    def scalars(self) -> dict[str, float]:
        """The per-trial means and percentages the design reports, by name, in the order of CELL_SCALARS."""
        values = ((name, getattr(self, name)) for name in CELL_SCALARS)
        return {name: value for name, value in values if value is not None}

    def as_json(self) -> dict[str, list[float] | float]:
        """The JSON of `cartrial simulate --json`: the series as lists, then the scalars."""
        return {**{name: list(values) for name, values in self.per_dose().items()}, **self.scalars()}


def check_accrual(value: str, source: str = "simulate") -> Accrual:
    """'fixed' (arrivals every accrual_days) or 'poisson' (exponential gaps of that mean)."""
    if value == "fixed":
        return "fixed"
    if value == "poisson":
        return "poisson"
    raise InputError.single(source, "accrual", f"must be fixed or poisson, got {value!r}")


def simulate_cell(settings: DesignSettings, scenario: Scenario, run: RunSettings) -> CellResult:
    """The operating characteristics of `settings` under `scenario`, by the design's simulator.

    A scenario's efficacy is read by BOIN12 only, the accrual by the TITE designs only, so one grid's
    scenarios and settings serve every design; what a design needs and lacks is bad input.
    """
    if run.backfill_size is not None and not settings.backfill:
        raise InputError.single("simulate", "backfill_size", "applies only with backfill (BF-BOIN)")
    tox = scenario.true_tox
    if settings.backfill and run.accrual_days is not None:
        return _simulate_backfill_calendar(settings, tox, run)
    if settings.backfill:
        size = settings.cohort_size if run.backfill_size is None else run.backfill_size
        bf = simulate_backfill_operating_characteristics(
            settings, tox, run.cohorts, size, run.trials, run.seed
        )
        return _backfill_cell(bf)
    if settings.design in TITE_DESIGNS:
        if run.accrual_days is None:
            raise InputError.single(
                "simulate",
                "accrual_days",
                f"{settings.design} is simulated in calendar time: give the mean days between arrivals",
            )
        tite = simulate_tite_operating_characteristics(
            settings,
            tox,
            run.cohorts * settings.cohort_size,
            run.accrual_days,
            run.accrual,
            run.trials,
            run.seed,
        )
        oc = tite.characteristics
        return CellResult(
            oc.selection_pct,
            oc.patients,
            oc.dlts,
            oc.stop_pct,
            oc.mean_n,
            mean_duration_days=tite.mean_duration_days,
        )
    if settings.design == "boin12":
        if scenario.true_efficacy is None:
            raise InputError.single(
                "simulate", "true_efficacy", "BOIN12 needs the true response probability per dose"
            )
        boin12 = simulate_boin12_operating_characteristics(
            settings, tox, scenario.true_efficacy, run.cohorts, run.trials, run.seed
        )
        oc = boin12.characteristics
        return CellResult(oc.selection_pct, oc.patients, oc.dlts, oc.stop_pct, oc.mean_n, boin12.responses)
    oc = simulate_operating_characteristics(settings, tox, run.cohorts, run.trials, run.seed)
    return CellResult(oc.selection_pct, oc.patients, oc.dlts, oc.stop_pct, oc.mean_n)


def _simulate_backfill_calendar(
    settings: DesignSettings, tox: tuple[float, ...], run: RunSettings
) -> CellResult:
    """BF-BOIN in calendar time: arrivals fill the backfill doses while a cohort is pending, up to the
    cap, so a backfill size per cohort has no meaning there."""
    if run.backfill_size is not None:
        raise InputError.single(
            "simulate",
            "backfill_size",
            "applies to BF-BOIN cohort by cohort; in calendar time (with accrual_days) arrivals fill "
            "the backfill doses up to the cap",
        )
    assert run.accrual_days is not None
    both = simulate_backfill_calendar_operating_characteristics(
        settings, tox, run.cohorts, run.accrual_days, run.accrual, run.trials, run.seed
    )
    bf = both.bf_boin
    return _backfill_cell(
        bf,
        mean_unevaluated_backfill_n=bf.mean_unevaluated_backfill_n,
        mean_duration_days=bf.mean_duration_days,
        boin_mean_duration_days=both.boin.mean_duration_days,
    )


def _backfill_cell(
    bf: BackfillOperatingCharacteristics | CalendarDesignSummary,
    mean_unevaluated_backfill_n: float | None = None,
    mean_duration_days: float | None = None,
    boin_mean_duration_days: float | None = None,
) -> CellResult:
    """A BF-BOIN cell: patients per dose as escalation, backfill and total; in calendar time also
    the backfill patients left unevaluated and the durations."""
    return CellResult(
        bf.selection_pct,
        bf.patients,
        bf.dlts,
        bf.stop_pct,
        bf.mean_n,
        escalation_patients=bf.escalation_patients,
        backfill_patients=bf.backfill_patients,
        mean_backfill_n=bf.mean_backfill_n,
        mean_unevaluated_backfill_n=mean_unevaluated_backfill_n,
        mean_duration_days=mean_duration_days,
        boin_mean_duration_days=boin_mean_duration_days,
    )
