"""Non-compartmental analysis of CAR transgene levels, as PKNCA computes it.

`calculate_nca` runs every subject × interval through the compiled kernel (`_kernel`) and returns
one row per parameter with its CDISC PP test code, the value, or None and the reason it could not be
computed. For an interval to ∞ the rows are the single-dose parameters (Cmax … AUCinf, λz); for a
finite interval they are Cmax, Tmax, Clast, Tlast and AUClast of the samples inside it, and AUCint
(PKNCA's `aucint.inf.obs`: an end between samples is interpolated with the chosen rule, an end after
Tlast is extrapolated with λz from Clast,obs). Times reported for an
interval (TMAX, TLST, LAMZLL, LAMZUL) are relative to its start, as in PKNCA.

`calculate_nca_batch` gives the same results as one columnar `NcaBatch` (numpy arrays per parameter
code, exclusions as reason codes worded on demand), the form for many profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress
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
    """The kernel's output: values, reason codes and auxiliary facts per profile × interval × slot,
    and per profile × sample (padded to the longest profile) the times and which samples λz may use
    (measurable, and allowed by the analyst's override)."""

    values: np.ndarray
    codes: np.ndarray
    aux: np.ndarray
    times: np.ndarray
    lambda_z_candidates: np.ndarray


_FIXED_REASONS: Mapping[int, str] = {
    k.NO_SAMPLES: "no samples in the interval",
    k.ALL_BLQ: "all values in the interval are BLQ",
    k.ONE_SAMPLE: "AUC needs at least two values",
    k.START_BEFORE_FIRST: "no sample at the interval start: AUC cannot start before the first measurement",
    k.HL_NO_POSITIVE: "no candidate λz fit has λz > 0 (the terminal phase does not decline)",
    k.HL_MANUAL_NONE: "fewer than 2 measurable points among the analyst's λz points",
    k.HL_MANUAL_NOT_POSITIVE: "the analyst's λz points give λz <= 0",
    k.ADJR2_TWO_POINTS: "adjusted R² needs more than 2 points",
    k.AUCINF_ZERO: "AUCinf is 0",
}
"""The words for each kernel reason code that quotes no number."""


def _reason(
    code: int, slot: int, settings: NcaSettings, aux: Sequence[float], lamz_reason: str | None
) -> str:
    if code == k.HL_TOO_FEW:
        return (
            f"too few points for λz: needs {settings.min_hl_points} measurable points after Tmax, "
            f"has {int(aux[k.AUX_HL_CANDIDATES])}"
        )
    if code == k.NEEDS_LAMZ:
        return f"needs λz, which was not computed ({lamz_reason})" if lamz_reason else "needs λz"
    if code in _FIXED_REASONS:
        return _FIXED_REASONS[code]
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
            values=empty,
            codes=empty.astype(np.int64),
            aux=np.empty((0, len(intervals), k.N_AUX)),
            times=np.empty((0, 0)),
            lambda_z_candidates=np.empty((0, 0), dtype=np.bool_),
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
    return NcaArrays(
        values=values, codes=codes, aux=aux, times=times, lambda_z_candidates=(concs > 0) & allowed
    )


NcaRecord = tuple[str, float, float | None, str, float | None, str | None]
"""One result row as a plain tuple: subject, start, end (None for ∞), PPTESTCD, value, exclusion."""


def _reported_slots(interval: Interval) -> tuple[int, ...]:
    return _INFINITE_SLOTS if interval.is_infinite else _FINITE_SLOTS


@dataclass(frozen=True, slots=True, eq=False)
class NcaBatch:
    """Every NCA result of many profiles, held column by column as the kernel computed it.

    Values are read per parameter code and interval as numpy columns (`column`, NaN where not
    computed); exclusion reasons stay the kernel's integer codes until one is asked for (`exclusion`).
    The per-row view the CLI prints (`records` as plain tuples, `rows` as `NcaParameter`: subject,
    start, end, PPTESTCD, value, exclusion), the λz points (`lambda_z`) and the per-subject results
    (`subject`, `subjects`) are built on demand, so a batch of 10,000 profiles holds no Python object
    per parameter row. The arrays are read-only.
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

    def _shown(self, profiles: slice) -> tuple[np.ndarray, np.ndarray]:
        """Values (None where not computed) and reasons (None where computed) of a slice of profiles.

        Object arrays, profile × interval × slot. Only the profile × intervals with an exclusion among
        their reported parameters are put into words.
        """
        values, codes, aux = (
            array[profiles] for array in (self.arrays.values, self.arrays.codes, self.arrays.aux)
        )
        computed = codes == k.OK
        shown = values.astype(object)
        shown[~computed] = None
        reasons = np.full(codes.shape, None, dtype=object)
        excluded = ~computed & self._reported()
        for index, col in zip(*np.nonzero(excluded.any(axis=2)), strict=True):
            interval = self.intervals[col]
            for slot, text in self._reasons(
                interval, codes[index, col].tolist(), aux[index, col].tolist()
            ).items():
                reasons[index, col, slot] = text
        return shown, reasons

    def _reported(self) -> np.ndarray:
        """Which slots each interval reports (interval × slot)."""
        reported = np.zeros((len(self.intervals), k.N_PARAMS), dtype=np.bool_)
        for col, interval in enumerate(self.intervals):
            reported[col, list(_reported_slots(interval))] = True
        return reported

    def _records(self, profiles: slice) -> tuple[Iterator[NcaRecord], int]:
        """The records of a slice of profiles, and how many each profile has (all have as many)."""
        shown, reasons = self._shown(profiles)
        cols = [col for col, interval in enumerate(self.intervals) for _ in _reported_slots(interval)]
        slots = [slot for interval in self.intervals for slot in _reported_slots(interval)]
        starts = [self.intervals[col].start for col in cols]
        ends = [None if self.intervals[col].is_infinite else self.intervals[col].end for col in cols]
        testcds = [TESTCD[slot] for slot in slots]
        chosen = self.profiles[profiles]
        records = zip(
            [profile.subject for profile in chosen for _ in cols],
            starts * len(chosen),
            ends * len(chosen),
            testcds * len(chosen),
            shown[:, cols, slots].ravel().tolist(),
            reasons[:, cols, slots].ravel().tolist(),
            strict=True,
        )
        return records, len(cols)

    def records(self) -> Iterator[NcaRecord]:
        """Every result row as a plain tuple (subject, start, end, PPTESTCD, value, exclusion), end None
        for ∞: profiles in input order, then intervals, then parameters. The cheap form of `rows`."""
        records, _ = self._records(slice(None))
        return records

    def rows(self) -> Iterator[NcaParameter]:
        """Every result row as an `NcaParameter`, in the order of `records`."""
        return (NcaParameter(*record) for record in self.records())

    def _lambda_z(self, profiles: slice) -> Iterator[list[LambdaZPoints]]:
        """The points of every computed λz of each profile in a slice, one list per profile.

        The points are the samples λz may use whose times lie within the fit's first and last time
        (LAMZLL and LAMZUL, relative to the interval's start).
        """
        values, codes = self.arrays.values[profiles], self.arrays.codes[profiles]
        starts = np.array([interval.start for interval in self.intervals])
        first = (values[:, :, k.P_LAMZLL] + starts)[:, :, None]
        last = (values[:, :, k.P_LAMZUL] + starts)[:, :, None]
        times = self.arrays.times[profiles][:, None, :]
        used = self.arrays.lambda_z_candidates[profiles][:, None, :] & (times >= first) & (times <= last)
        fitted = (codes[:, :, k.P_LAMZ] == k.OK).tolist()
        ends = [None if interval.is_infinite else interval.end for interval in self.intervals]
        for profile, profile_used, profile_fitted in zip(
            self.profiles[profiles], used.tolist(), fitted, strict=True
        ):
            override = self.overrides.get(profile.subject)
            yield [
                LambdaZPoints(
                    subject=profile.subject,
                    start=interval.start,
                    end=end,
                    times=tuple(compress(profile.times, profile_used[col])),
                    selection="analyst" if override is not None else "automatic",
                    reason=override.reason if override is not None else None,
                )
                for col, (interval, end) in enumerate(zip(self.intervals, ends, strict=True))
                if profile_fitted[col]
            ]

    def lambda_z(self) -> Iterator[LambdaZPoints]:
        """The points of every computed λz: profiles in input order, then intervals."""
        return chain.from_iterable(self._lambda_z(slice(None)))

    def subject(self, index: int) -> SubjectNca:
        """Every result of the `index`-th profile as one `SubjectNca`."""
        index = range(len(self))[index]
        (subject,) = self._subjects(slice(index, index + 1))
        return subject

    def subjects(self) -> tuple[SubjectNca, ...]:
        """One `SubjectNca` per profile, in input order."""
        return self._subjects(slice(None))

    def _subjects(self, profiles: slice) -> tuple[SubjectNca, ...]:
        records, width = self._records(profiles)
        rows = [NcaParameter(*record) for record in records]
        return tuple(
            SubjectNca(
                subject=profile.subject,
                dose=profile.dose,
                parameters=tuple(rows[index * width : (index + 1) * width]),
                lambda_z=tuple(points),
            )
            for index, (profile, points) in enumerate(
                zip(self.profiles[profiles], self._lambda_z(profiles), strict=True)
            )
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
    for array in (arrays.values, arrays.codes, arrays.aux):
        array.setflags(write=False)
    batch = NcaBatch(
        profiles=tuple(profiles),
        intervals=tuple(intervals),
        settings=settings,
        overrides=MappingProxyType(by_subject),
        arrays=arrays,
    )
    if np.any(np.isnan(arrays.values) & (arrays.codes == k.OK) & batch._reported()):
        raise AssertionError("NCA kernel gave NaN without a reason")
    return batch


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
