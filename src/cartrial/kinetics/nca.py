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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

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


def _reported_slots(interval: Interval) -> tuple[int, ...]:
    return _INFINITE_SLOTS if interval.is_infinite else _FINITE_SLOTS


@dataclass(frozen=True, slots=True, eq=False)
class NcaBatch:
    """Every NCA result of many profiles, held column by column as the kernel computed it.

    Values are read per parameter code and interval as numpy columns (`column`, NaN where not
    computed); exclusion reasons stay the kernel's integer codes until one is asked for (`exclusion`).
    The per-row view the CLI prints (`rows`: subject, start, end, PPTESTCD, value, exclusion), the
    λz points (`lambda_z`) and the per-subject results (`subject`, `subjects`) are built on demand,
    so a batch of 10,000 profiles holds no Python object per parameter row. The arrays are read-only.
    """

    profiles: tuple[ConcentrationProfile, ...]
    intervals: tuple[Interval, ...]
    settings: NcaSettings
    overrides: Mapping[str, LambdaZOverride]
    arrays: NcaArrays

    def __len__(self) -> int:
        return len(self.profiles)

    def testcds(self, interval: Interval) -> tuple[str, ...]:
        """The parameter codes reported for an interval, in the order rows list them."""
        return tuple(TESTCD[slot] for slot in _reported_slots(interval))

    def _position(self, testcd: str, interval: Interval) -> tuple[int, int]:
        if interval not in self.intervals:
            raise KeyError(f"interval {interval} is not one of this batch's intervals")
        slot = next((s for s in _reported_slots(interval) if TESTCD[s] == testcd), None)
        if slot is None:
            raise KeyError(f"{testcd} is not reported for the interval {interval}")
        return self.intervals.index(interval), slot

    def column(self, testcd: str, interval: Interval) -> np.ndarray:
        """One parameter over one interval for every profile, in input order (NaN: not computed)."""
        col, slot = self._position(testcd, interval)
        return self.arrays.values[:, col, slot]

    def exclusion(self, index: int, testcd: str, interval: Interval) -> str | None:
        """Why a parameter of the `index`-th profile was not computed over an interval (None if it was)."""
        col, slot = self._position(testcd, interval)
        codes, aux = self.arrays.codes[index, col].tolist(), self.arrays.aux[index, col].tolist()
        return self._reasons(interval, codes, aux).get(slot)

    def _reasons(self, interval: Interval, codes: Sequence[int], aux: Sequence[float]) -> dict[int, str]:
        """The reason for every reported slot of one profile × interval whose code is not OK."""
        lamz_code = codes[k.P_LAMZ]
        lamz = None if lamz_code == k.OK else _reason(lamz_code, k.P_LAMZ, self.settings, aux, None)
        return {
            slot: _reason(codes[slot], slot, self.settings, aux, lamz)
            for slot in _reported_slots(interval)
            if codes[slot] != k.OK
        }

    def _parameters(
        self,
        profile: ConcentrationProfile,
        values: Sequence[Sequence[float]],
        codes: Sequence[Sequence[int]],
        aux: Sequence[Sequence[float]],
    ) -> Iterator[NcaParameter]:
        """The rows of one profile, from its values, codes and aux as plain lists (interval × slot)."""
        for col, interval in enumerate(self.intervals):
            end = None if interval.is_infinite else interval.end
            interval_codes = codes[col]
            reasons = None
            for slot in _reported_slots(interval):
                if interval_codes[slot] == k.OK:
                    value = values[col][slot]
                    yield NcaParameter(profile.subject, interval.start, end, TESTCD[slot], value, None)
                else:
                    reasons = reasons or self._reasons(interval, interval_codes, aux[col])
                    yield NcaParameter(
                        profile.subject, interval.start, end, TESTCD[slot], None, reasons[slot]
                    )

    def _lambda_z(
        self, profile: ConcentrationProfile, values: Sequence[Sequence[float]], codes: Sequence[Sequence[int]]
    ) -> Iterator[LambdaZPoints]:
        override = self.overrides.get(profile.subject)
        for col, interval in enumerate(self.intervals):
            if codes[col][k.P_LAMZ] == k.OK:
                yield _lambda_z_points(profile, interval, values[col], override)

    def _lists(self) -> tuple[list[list[list[float]]], list[list[list[int]]], list[list[list[float]]]]:
        # Plain lists: indexing them is several times faster than indexing numpy arrays element by element.
        arrays = self.arrays
        return arrays.values.tolist(), arrays.codes.tolist(), arrays.aux.tolist()

    def rows(self) -> Iterator[NcaParameter]:
        """Every result row: profiles in input order, then intervals, then parameters."""
        values, codes, aux = self._lists()
        for index, profile in enumerate(self.profiles):
            yield from self._parameters(profile, values[index], codes[index], aux[index])

    def lambda_z(self) -> Iterator[LambdaZPoints]:
        """The points of every computed λz: profiles in input order, then intervals."""
        values, codes = self.arrays.values.tolist(), self.arrays.codes.tolist()
        for index, profile in enumerate(self.profiles):
            yield from self._lambda_z(profile, values[index], codes[index])

    def subject(self, index: int) -> SubjectNca:
        """Every result of the `index`-th profile as one `SubjectNca`."""
        arrays = self.arrays
        values, codes = arrays.values[index].tolist(), arrays.codes[index].tolist()
        return self._subject(self.profiles[index], values, codes, arrays.aux[index].tolist())

    def subjects(self) -> tuple[SubjectNca, ...]:
        """One `SubjectNca` per profile, in input order."""
        values, codes, aux = self._lists()
        return tuple(
            self._subject(profile, values[index], codes[index], aux[index])
            for index, profile in enumerate(self.profiles)
        )

    def _subject(
        self,
        profile: ConcentrationProfile,
        values: Sequence[Sequence[float]],
        codes: Sequence[Sequence[int]],
        aux: Sequence[Sequence[float]],
    ) -> SubjectNca:
        return SubjectNca(
            subject=profile.subject,
            dose=profile.dose,
            parameters=tuple(self._parameters(profile, values, codes, aux)),
            lambda_z=tuple(self._lambda_z(profile, values, codes)),
        )


def calculate_nca_batch(
    profiles: Sequence[ConcentrationProfile],
    intervals: Sequence[Interval] = DEFAULT_INTERVALS,
    settings: NcaSettings = NcaSettings(),
    overrides: Iterable[LambdaZOverride] = (),
) -> NcaBatch:
    """NCA of every profile over every interval, as one columnar `NcaBatch`."""
    by_subject: dict[str, LambdaZOverride] = {}
    for given in overrides:
        if given.subject in by_subject:
            raise InputError.single("overrides", given.subject, "more than one λz override for this subject")
        by_subject[given.subject] = given
    arrays = calculate_nca_arrays(profiles, intervals, settings, by_subject)
    reported = np.zeros((len(intervals), k.N_PARAMS), dtype=np.bool_)
    for col, interval in enumerate(intervals):
        reported[col, list(_reported_slots(interval))] = True
    if np.any(np.isnan(arrays.values) & (arrays.codes == k.OK) & reported):
        raise AssertionError("NCA kernel gave NaN without a reason")
    for array in (arrays.values, arrays.codes, arrays.aux):
        array.setflags(write=False)
    return NcaBatch(
        profiles=tuple(profiles),
        intervals=tuple(intervals),
        settings=settings,
        overrides=MappingProxyType(by_subject),
        arrays=arrays,
    )


def calculate_nca(
    profiles: Sequence[ConcentrationProfile],
    intervals: Sequence[Interval] = DEFAULT_INTERVALS,
    settings: NcaSettings = NcaSettings(),
    overrides: Iterable[LambdaZOverride] = (),
) -> tuple[SubjectNca, ...]:
    """NCA of every profile over every interval, one `SubjectNca` per profile in input order.

    >>> import math
    >>> p = ConcentrationProfile("S1", 25e6, (0.0, 1.0, 3.0, 5.0, 7.0), (0.0, 8.0, 4.0, 2.0, 1.0),
    ...     (True, False, False, False, False), (1.0,) * 5)
    >>> result = calculate_nca([p], [Interval(0.0, math.inf)])[0]
    >>> round(result.value("LAMZHL", Interval(0.0, math.inf)) or 0.0, 9)
    2.0
    """
    return calculate_nca_batch(profiles, intervals, settings, overrides).subjects()
