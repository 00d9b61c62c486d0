"""Non-compartmental analysis of CAR transgene levels, as PKNCA computes it.

`calculate_nca` runs every subject × interval through the compiled kernel (`_kernel`) and returns
one row per parameter with its CDISC PP test code, the value, or None and the reason it could not be
computed. For an interval to ∞ the rows are the single-dose parameters (Cmax … AUCinf, λz); for a
finite interval they are Cmax, Tmax, Clast, Tlast and AUClast of the samples inside it, and AUCint
(PKNCA's `aucint.inf.obs`: an end between samples is interpolated with the chosen rule, an end after
Tlast is extrapolated with λz from Clast,obs). Times reported for an
interval (TMAX, TLST, LAMZLL, LAMZUL) are relative to its start, as in PKNCA.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cartrial.errors import InputError
from cartrial.kinetics import _kernel as k
from cartrial.kinetics.model import (
    DEFAULT_INTERVALS,
    BlqRule,
    ConcentrationProfile,
    Interval,
    LambdaZOverride,
    LambdaZPoints,
    NcaMethod,
    NcaParameter,
    NcaSettings,
    SubjectNca,
)

# CDISC SDTM controlled terminology for PP test codes (PPTESTCD), per kernel slot.
TESTCD: Mapping[int, str] = {
    k.P_CMAX: "CMAX",
    k.P_TMAX: "TMAX",
    k.P_CLST: "CLST",
    k.P_TLAST: "TLST",
    k.P_AUCLST: "AUCLST",
    k.P_LAMZ: "LAMZ",
    k.P_R2: "R2",
    k.P_R2ADJ: "R2ADJ",
    k.P_LAMZNPT: "LAMZNPT",
    k.P_LAMZLL: "LAMZLL",
    k.P_LAMZUL: "LAMZUL",
    k.P_CLSTP: "CLSTP",
    k.P_LAMZHL: "LAMZHL",
    k.P_LAMZSPN: "LAMZSPN",
    k.P_AUCIFO: "AUCIFO",
    k.P_AUCIFP: "AUCIFP",
    k.P_AUCPEO: "AUCPEO",
    k.P_AUCPEP: "AUCPEP",
    k.P_AUCINT: "AUCINT",
}

PPTEST: Mapping[str, str] = {
    "CMAX": "Max Conc",
    "TMAX": "Time of CMAX",
    "CLST": "Last Nonzero Conc",
    "TLST": "Time of Last Nonzero Conc",
    "AUCLST": "AUC to Last Nonzero Conc",
    "LAMZ": "Lambda z",
    "R2": "R Squared",
    "R2ADJ": "R Squared Adjusted",
    "LAMZNPT": "Number of Points for Lambda z",
    "LAMZLL": "Lambda z Lower Limit",
    "LAMZUL": "Lambda z Upper Limit",
    "CLSTP": "Last Nonzero Conc Predicted",
    "LAMZHL": "Half-Life Lambda z",
    "LAMZSPN": "Lambda z Span",
    "AUCIFO": "AUC Infinity Obs",
    "AUCIFP": "AUC Infinity Pred",
    "AUCPEO": "AUC %Extrapolation Obs",
    "AUCPEP": "AUC %Extrapolation Pred",
    "AUCINT": "AUC from T1 to T2",
}
"""CDISC PPTEST (long names) for each test code."""

_INFINITE_SLOTS = tuple(slot for slot in TESTCD if slot != k.P_AUCINT)
_FINITE_SLOTS = (k.P_CMAX, k.P_TMAX, k.P_CLST, k.P_TLAST, k.P_AUCLST, k.P_AUCINT)
_LAMZ_SLOTS = frozenset(
    (k.P_LAMZ, k.P_R2, k.P_R2ADJ, k.P_LAMZNPT, k.P_LAMZLL, k.P_LAMZUL, k.P_CLSTP, k.P_LAMZHL, k.P_LAMZSPN)
)

_METHOD_CODE = {
    NcaMethod.LIN_UP_LOG_DOWN: k.METHOD_LIN_UP_LOG_DOWN,
    NcaMethod.LINEAR: k.METHOD_LINEAR,
    NcaMethod.LIN_LOG: k.METHOD_LIN_LOG,
}


def _blq_code(rule: BlqRule) -> float:
    if rule == "keep":
        return k.BLQ_KEEP
    if rule == "drop":
        return k.BLQ_DROP
    return float(rule)


@dataclass(frozen=True, slots=True)
class NcaArrays:
    """The kernel's raw output: values, reason codes and auxiliary facts per profile × interval × slot."""

    values: np.ndarray
    codes: np.ndarray
    aux: np.ndarray


def _reason(
    code: int, slot: int, settings: NcaSettings, aux: Sequence[float], lamz_reason: str | None
) -> str:
    if code == k.NO_SAMPLES:
        return "no samples in the interval"
    if code == k.ALL_BLQ:
        return "all values in the interval are BLQ"
    if code == k.ONE_SAMPLE:
        return "AUC needs at least two values"
    if code == k.START_BEFORE_FIRST:
        return "no sample at the interval start: AUC cannot start before the first measurement"
    if code == k.HL_TOO_FEW:
        return (
            f"too few points for λz: needs {settings.min_hl_points} measurable points after Tmax, "
            f"has {int(aux[k.AUX_HL_CANDIDATES])}"
        )
    if code == k.HL_NO_POSITIVE:
        return "no candidate λz fit has λz > 0 (the terminal phase does not decline)"
    if code == k.HL_MANUAL_NONE:
        return "fewer than 2 measurable points among the analyst's λz points"
    if code == k.HL_MANUAL_NOT_POSITIVE:
        return "the analyst's λz points give λz <= 0"
    if code == k.NEEDS_LAMZ:
        return f"needs λz, which was not computed ({lamz_reason})" if lamz_reason else "needs λz"
    if code == k.ADJR2_TWO_POINTS:
        return "adjusted R² needs more than 2 points"
    if code == k.AUCINF_ZERO:
        return "AUCinf is 0"
    raise AssertionError(f"unknown NCA reason code {code} in slot {slot}")


def _override_masks(profile: ConcentrationProfile, override: LambdaZOverride) -> tuple[np.ndarray, bool]:
    """Which samples λz may use under an analyst's override, and whether the choice is manual."""
    allowed = np.ones(len(profile.times), dtype=np.bool_)
    chosen = override.include_times if override.include_times is not None else override.exclude_times
    index = {t: i for i, t in enumerate(profile.times)}
    for t in chosen:
        if t not in index:
            raise InputError.single(
                profile.subject, "lambda_z override", f"no sample at time {t:g} to include or exclude"
            )
    if override.include_times is not None:
        allowed[:] = False
        allowed[[index[t] for t in override.include_times]] = True
        return allowed, True
    allowed[[index[t] for t in override.exclude_times]] = False
    return allowed, False


def calculate_nca_arrays(
    profiles: Sequence[ConcentrationProfile],
    intervals: Sequence[Interval] = DEFAULT_INTERVALS,
    settings: NcaSettings = NcaSettings(),
    overrides: Mapping[str, LambdaZOverride] | None = None,
) -> NcaArrays:
    """Run the kernel on every profile × interval; the array form the batch APIs and benchmark use."""
    overrides = overrides or {}
    unknown = set(overrides) - {p.subject for p in profiles}
    if unknown:
        raise InputError.single(
            "overrides", "subject", f"no profile for subject(s) {', '.join(sorted(unknown))}"
        )
    if not profiles:
        empty = np.empty((0, len(intervals), k.N_PARAMS))
        return NcaArrays(
            values=empty, codes=empty.astype(np.int64), aux=np.empty((0, len(intervals), k.N_AUX))
        )
    width = max(len(p.times) for p in profiles)
    padding = [0.0] * width
    times = np.array([[*p.times, *padding[len(p.times) :]] for p in profiles], dtype=np.float64)
    concs = np.array([[*p.nca_values, *padding[len(p.times) :]] for p in profiles], dtype=np.float64)
    counts = np.array([len(p.times) for p in profiles], dtype=np.int64)
    allowed = np.ones((len(profiles), width), dtype=np.bool_)
    manual = np.zeros(len(profiles), dtype=np.bool_)
    for row, profile in enumerate(profiles):
        if profile.subject in overrides:
            mask, manual[row] = _override_masks(profile, overrides[profile.subject])
            allowed[row, : len(profile.times)] = mask
    values, codes, aux = k.nca_batch(
        times,
        concs,
        counts,
        allowed,
        manual,
        np.array([i.start for i in intervals], dtype=np.float64),
        np.array([i.end for i in intervals], dtype=np.float64),
        np.array(
            [_blq_code(settings.blq_first), _blq_code(settings.blq_middle), _blq_code(settings.blq_last)]
        ),
        _METHOD_CODE[settings.method],
        settings.min_hl_points,
        settings.adj_r_squared_factor,
        settings.allow_tmax_in_half_life,
        settings.first_tmax,
    )
    return NcaArrays(values=values, codes=codes, aux=aux)


def _lambda_z_points(
    profile: ConcentrationProfile,
    interval: Interval,
    values: Sequence[float],
    override: LambdaZOverride | None,
) -> LambdaZPoints:
    first = values[k.P_LAMZLL] + interval.start
    last = values[k.P_LAMZUL] + interval.start
    candidates = [
        t for t, v, b in zip(profile.times, profile.values, profile.blq, strict=True) if v > 0 and not b
    ]
    if override is not None and override.include_times is not None:
        candidates = [t for t in candidates if t in override.include_times]
    elif override is not None:
        candidates = [t for t in candidates if t not in override.exclude_times]
    return LambdaZPoints(
        subject=profile.subject,
        start=interval.start,
        end=None if interval.is_infinite else interval.end,
        times=tuple(t for t in candidates if first <= t <= last),
        selection="analyst" if override is not None else "automatic",
        reason=override.reason if override is not None else None,
    )


def calculate_nca(
    profiles: Sequence[ConcentrationProfile],
    intervals: Sequence[Interval] = DEFAULT_INTERVALS,
    settings: NcaSettings = NcaSettings(),
    overrides: Iterable[LambdaZOverride] = (),
) -> tuple[SubjectNca, ...]:
    """NCA of every profile over every interval, one `SubjectNca` per profile in input order.

    >>> p = ConcentrationProfile("S1", 25e6, (0.0, 1.0, 3.0, 5.0, 7.0), (0.0, 8.0, 4.0, 2.0, 1.0),
    ...     (True, False, False, False, False), (1.0,) * 5)
    >>> result = calculate_nca([p], [Interval(0.0, math.inf)])[0]
    >>> round(result.value("LAMZHL", Interval(0.0, math.inf)) or 0.0, 9)
    2.0
    """
    by_subject: dict[str, LambdaZOverride] = {}
    for given in overrides:
        if given.subject in by_subject:
            raise InputError.single("overrides", given.subject, "more than one λz override for this subject")
        by_subject[given.subject] = given
    arrays = calculate_nca_arrays(profiles, intervals, settings, by_subject)
    # Plain lists: indexing them is several times faster than indexing numpy arrays element by element.
    all_values, all_codes, all_aux = arrays.values.tolist(), arrays.codes.tolist(), arrays.aux.tolist()
    layout = [
        (
            interval,
            None if interval.is_infinite else interval.end,
            [(slot, TESTCD[slot]) for slot in (_INFINITE_SLOTS if interval.is_infinite else _FINITE_SLOTS)],
        )
        for interval in intervals
    ]
    results = []
    for row, profile in enumerate(profiles):
        override = by_subject.get(profile.subject)
        rows: list[NcaParameter] = []
        points: list[LambdaZPoints] = []
        for col, (interval, end, slots) in enumerate(layout):
            values, codes, aux = all_values[row][col], all_codes[row][col], all_aux[row][col]
            lamz_ok = codes[k.P_LAMZ] == k.OK
            lamz_reason = None if lamz_ok else _reason(codes[k.P_LAMZ], k.P_LAMZ, settings, aux, None)
            for slot, testcd in slots:
                code = codes[slot]
                if code == k.OK:
                    value = values[slot]
                    if math.isnan(value):
                        raise AssertionError(f"NCA kernel gave NaN without a reason for {testcd}")
                    rows.append(NcaParameter(profile.subject, interval.start, end, testcd, value, None))
                else:
                    reason = _reason(code, slot, settings, aux, lamz_reason)
                    rows.append(NcaParameter(profile.subject, interval.start, end, testcd, None, reason))
            if lamz_ok:
                points.append(_lambda_z_points(profile, interval, values, override))
        results.append(
            SubjectNca(
                subject=profile.subject, dose=profile.dose, parameters=tuple(rows), lambda_z=tuple(points)
            )
        )
    return tuple(results)
