"""A scenario grid for simulation: designs (with their settings) × toxicity scenarios, from TOML text.

    trials = 10000        # per cell
    seed = 6
    cohorts = 10
    cohort_size = 3

    [[designs]]
    name = "boin"         # any design setting may follow: target, cutoff_eli, skeleton, ...
    target = 0.3

    [[designs]]
    name = "3+3"
    label = "3+3 (2/6 rule)"
    accept_two_of_six = true

    [[scenarios]]
    name = "S1"
    true = [0.05, 0.10, 0.20, 0.30]
    start_dose = 1        # optional, default 1 (R get.oc)

Every design meets every scenario; each cell has its own seed (seed + cell index) so cells can be run
in any order or apart and still give the same numbers.
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

_TOP_KEYS = {"trials", "seed", "cohorts", "cohort_size", "designs", "scenarios"}
# What a grid's design entry may set, with the type each takes.
_SETTING_TYPES: dict[str, type] = {**PARAMETER_TYPES, "target": float, "max_n": int, "window_days": float}


@dataclass(frozen=True, slots=True)
class GridCell:
    label: str
    scenario: str
    settings: DesignSettings
    true_tox: tuple[float, ...]
    cohorts: int
    trials: int
    seed: int


def _positive_int(table: dict[str, Any], key: str, default: int, source: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError.single(source, key, f"must be a positive integer, got {value!r}")
    return value


def parse_grid(text: str, source: str = "grid") -> tuple[GridCell, ...]:
    """The cells of a grid file, validated; errors name the table and key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, "(file)", f"not valid TOML: {exc}") from exc
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise InputError.single(source, sorted(unknown)[0], "unknown key")
    trials = _positive_int(raw, "trials", 10000, source)
    seed = raw.get("seed", 6)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError.single(source, "seed", f"must be a non-negative integer, got {seed!r}")
    cohorts = _positive_int(raw, "cohorts", 10, source)
    cohort_size = _positive_int(raw, "cohort_size", 3, source)
    designs = raw.get("designs", [])
    scenarios = raw.get("scenarios", [])
    if not designs or not scenarios:
        raise InputError.single(source, "designs" if not designs else "scenarios", "at least one is needed")
    cells: list[GridCell] = []
    for j, scenario in enumerate(scenarios):
        where = f"scenarios[{j}]"
        true = scenario.get("true")
        if not isinstance(true, list) or not true or not all(isinstance(p, int | float) for p in true):
            raise InputError.single(source, f"{where}.true", "a list of DLT probabilities is needed")
        name = str(scenario.get("name", f"S{j + 1}"))
        start = scenario.get("start_dose", 1)
        if not isinstance(start, int) or isinstance(start, bool):
            raise InputError.single(source, f"{where}.start_dose", f"must be a dose level, got {start!r}")
        for i, design in enumerate(designs):
            where_design = f"designs[{i}]"
            values = {k: v for k, v in design.items() if k not in ("name", "label")}
            bad = set(values) - set(_SETTING_TYPES)
            if bad or "name" not in design:
                field = f"{where_design}.{sorted(bad)[0]}" if bad else f"{where_design}.name"
                raise InputError.single(
                    source, field, "unknown setting" if bad else "a design name is needed"
                )
            try:
                values = {
                    k: check_parameter_type(f"{where_design}.{k}", v, _SETTING_TYPES[k])
                    for k, v in values.items()
                }
            except InputError as exc:
                raise InputError(source, exc.errors) from exc
            settings = DesignSettings(design=str(design["name"]), n_doses=len(true), start_dose=start)
            settings = replace(settings, cohort_size=cohort_size, **values)
            try:
                validate_settings(settings)
            except InputError as exc:
                raise InputError(
                    source, tuple(replace(e, field=f"{where_design}.{e.field}") for e in exc.errors)
                ) from exc
            cells.append(
                GridCell(
                    label=str(design.get("label", design["name"])),
                    scenario=name,
                    settings=settings,
                    true_tox=tuple(float(p) for p in true),
                    cohorts=cohorts,
                    trials=trials,
                    seed=seed + len(cells),
                )
            )
    return tuple(cells)
