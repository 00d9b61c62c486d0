"""A scenario grid for simulation: designs (with their settings) × scenarios, from TOML text.

    trials = 10000        # per cell
    seed = 6
    cohorts = 10          # cohorts per trial (x cohort_size patients, one by one, for TITE designs)
    cohort_size = 3
    accrual_days = 7      # TITE designs and BF-BOIN in calendar time: mean days between arrivals
                          # (a design may set its own)
    accrual = "fixed"     # or "poisson"

    [[designs]]
    name = "boin"         # any design setting may follow: target, cutoff_eli, skeleton, ...
    target = 0.3

    [[designs]]
    name = "boin"
    label = "BF-BOIN"
    target = 0.3
    backfill = true       # BF-BOIN: in calendar time with an accrual rate (Zhao et al. 2024), or
    backfill_size = 3     # cohort by cohort, this many backfill patients per escalation cohort

    [[designs]]
    name = "tite-boin"
    target = 0.3

    [[designs]]
    name = "boin12"
    target = 0.35
    phi_e = 0.25

    [[scenarios]]
    name = "S1"
    true = [0.05, 0.10, 0.20, 0.30]
    efficacy = [0.20, 0.40, 0.50, 0.50]   # response probabilities, read by BOIN12 (needed by it)
    start_dose = 1        # optional, default 1 (R get.oc)

Every design meets every scenario; each cell has its own seed (seed + cell index) so cells can be run
in any order, in any process, or apart, and still give the same numbers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from typing import Any

from cartrial.errors import InputError
from cartrial.escalation.configure import (
    PARAMETER_TYPES,
    DesignSettings,
    check_parameter_type,
    validate_settings,
)
from cartrial.escalation.run_cell import (
    TITE_DESIGNS,
    CellResult,
    RunSettings,
    Scenario,
    check_accrual,
    simulate_cell,
)
from cartrial.escalation.tite_simulation import Accrual

_TOP_KEYS = {"trials", "seed", "cohorts", "cohort_size", "accrual_days", "accrual", "designs", "scenarios"}
_SCENARIO_KEYS = {"name", "true", "efficacy", "start_dose"}
# What a grid's design entry may set, with the type each takes.
_SETTING_TYPES: dict[str, type] = {**PARAMETER_TYPES, "target": float, "max_n": int, "window_days": float}
# Keys of a design entry that say how its cells run rather than how the design decides.
_RUN_KEYS = {"accrual_days", "accrual", "backfill_size"}


@dataclass(frozen=True, slots=True)
class GridCell:
    label: str
    settings: DesignSettings
    scenario: Scenario
    run: RunSettings


def simulate_grid_cell(cell: GridCell) -> CellResult:
    """The operating characteristics of one cell (a plain function of the cell, so any process can run it)."""
    return simulate_cell(cell.settings, cell.scenario, cell.run)


def _parse_positive_int(table: dict[str, Any], key: str, default: int, source: str, where: str = "") -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError.single(source, where + key, f"must be a positive integer, got {value!r}")
    return value


def _parse_accrual_days(
    table: dict[str, Any], default: float | None, source: str, where: str
) -> float | None:
    value = table.get("accrual_days", default)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise InputError.single(source, where + "accrual_days", f"must be a positive number, got {value!r}")
    return float(value)


def _parse_accrual(table: dict[str, Any], default: Accrual, source: str, where: str) -> Accrual:
    value = table.get("accrual", default)
    try:
        return check_accrual(value if isinstance(value, str) else repr(value), source)
    except InputError as exc:
        raise InputError.single(source, where + "accrual", exc.errors[0].reason) from exc


def _parse_probabilities(
    value: Any, source: str, field: str, what: str, n_doses: int | None
) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(p, int | float) for p in value):
        raise InputError.single(source, field, f"a list of {what} probabilities is needed")
    if n_doses is not None and len(value) != n_doses:
        raise InputError.single(source, field, f"{len(value)} values for {n_doses} doses (as many as true)")
    for k, p in enumerate(value):
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise InputError.single(source, f"{field}[{k}]", f"a probability must lie in [0, 1], got {p!r}")
    return tuple(float(p) for p in value)


def _parse_scenario(scenario: Any, j: int, source: str) -> tuple[Scenario, int]:
    where = f"scenarios[{j}]"
    if not isinstance(scenario, dict):
        raise InputError.single(source, where, "a table is needed")
    unknown = set(scenario) - _SCENARIO_KEYS
    if unknown:
        raise InputError.single(source, f"{where}.{sorted(unknown)[0]}", "unknown key")
    true = _parse_probabilities(scenario.get("true"), source, f"{where}.true", "DLT", None)
    efficacy = scenario.get("efficacy")
    if efficacy is not None:
        efficacy = _parse_probabilities(efficacy, source, f"{where}.efficacy", "response", len(true))
    start = scenario.get("start_dose", 1)
    if not isinstance(start, int) or isinstance(start, bool):
        raise InputError.single(source, f"{where}.start_dose", f"must be a dose level, got {start!r}")
    return Scenario(str(scenario.get("name", f"S{j + 1}")), true, efficacy), start


def _parse_design_settings(
    design: Any, i: int, n_doses: int, start: int, cohort_size: int, source: str
) -> DesignSettings:
    where = f"designs[{i}]"
    if not isinstance(design, dict):
        raise InputError.single(source, where, "a table is needed")
    values = {k: v for k, v in design.items() if k not in ("name", "label") and k not in _RUN_KEYS}
    bad = set(values) - set(_SETTING_TYPES)
    if bad or "name" not in design:
        field = f"{where}.{sorted(bad)[0]}" if bad else f"{where}.name"
        raise InputError.single(source, field, "unknown setting" if bad else "a design name is needed")
    try:
        values = {k: check_parameter_type(f"{where}.{k}", v, _SETTING_TYPES[k]) for k, v in values.items()}
    except InputError as exc:
        raise InputError(source, exc.errors) from exc
    settings = DesignSettings(design=str(design["name"]), n_doses=n_doses, start_dose=start)
    settings = replace(settings, cohort_size=cohort_size, **values)
    try:
        validate_settings(settings)
    except InputError as exc:
        raise InputError(source, tuple(replace(e, field=f"{where}.{e.field}") for e in exc.errors)) from exc
    return settings


def parse_grid(text: str, source: str = "grid") -> tuple[GridCell, ...]:
    """The cells of a grid file, validated; errors name the table and key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, "(file)", f"not valid TOML: {exc}") from exc
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise InputError.single(source, sorted(unknown)[0], "unknown key")
    trials = _parse_positive_int(raw, "trials", 10000, source)
    seed = raw.get("seed", 6)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError.single(source, "seed", f"must be a non-negative integer, got {seed!r}")
    cohorts = _parse_positive_int(raw, "cohorts", 10, source)
    cohort_size = _parse_positive_int(raw, "cohort_size", 3, source)
    accrual_days = _parse_accrual_days(raw, None, source, "")
    accrual = _parse_accrual(raw, "fixed", source, "")
    designs = raw.get("designs", [])
    scenarios = raw.get("scenarios", [])
    if not designs or not scenarios:
        raise InputError.single(source, "designs" if not designs else "scenarios", "at least one is needed")
    cells: list[GridCell] = []
    for j, entry in enumerate(scenarios):
        scenario, start = _parse_scenario(entry, j, source)
        for i, design in enumerate(designs):
            settings = _parse_design_settings(design, i, len(scenario.true_tox), start, cohort_size, source)
            where = f"designs[{i}]."
            days = _parse_accrual_days(design, accrual_days, source, where)
            if settings.design in TITE_DESIGNS and days is None:
                raise InputError.single(
                    source,
                    f"{where}accrual_days",
                    f"{settings.design} is simulated in calendar time: set accrual_days (for the grid or "
                    "the design)",
                )
            backfill_size = None
            if "backfill_size" in design:
                if not settings.backfill:
                    raise InputError.single(
                        source, f"{where}backfill_size", "applies only with backfill = true (BF-BOIN)"
                    )
                if "accrual_days" in design:
                    raise InputError.single(
                        source,
                        f"{where}backfill_size",
                        "BF-BOIN runs cohort by cohort with backfill_size, in calendar time with "
                        "accrual_days: give one",
                    )
                backfill_size = _parse_positive_int(design, "backfill_size", 1, source, where)
                # Cohort by cohort: the grid's accrual rate is for the designs run in calendar time.
                days = None
            if settings.design == "boin12" and scenario.true_efficacy is None:
                raise InputError.single(
                    source,
                    f"scenarios[{j}].efficacy",
                    f"design {i} is BOIN12: give the true response probability per dose",
                )
            run = RunSettings(
                cohorts,
                trials,
                seed + len(cells),
                days,
                _parse_accrual(design, accrual, source, where),
                backfill_size,
            )
            label = str(design.get("label", design["name"]))
            cells.append(GridCell(label, settings, scenario, run))
    return tuple(cells)
