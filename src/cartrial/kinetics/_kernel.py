"""The NCA arithmetic, compiled with numba: one profile per call, or many in one batch.

Every function here follows PKNCA 0.12 (Denney et al., github.com/cran/PKNCA) step for step, with the
same order of operations, so that results agree with PKNCA to rounding: `clean.conc.blq`
(R/cleaners.R), `choose_interval_method` and `auc_integrate` (R/auc_integrate.R), `pk.calc.auxc`
(R/auc.R), `pk.calc.half.life` and `fit_half_life` (R/half.life.R), `interpolate.conc` /
`extrapolate.conc` (R/interpolate.conc.R) and `pk.calc.aucint` (R/aucint.R). BLQ values arrive as 0,
which is how PKNCA represents them. A value that cannot be computed is NaN with a reason code in the
matching slot of the code array; `cartrial.kinetics.nca` turns codes into words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

F = TypeVar("F", bound=Callable[..., Any])


def _jit(function: F) -> F:
    """numba's njit, cached on disk so that only the first run pays for compilation."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


# Integration rules (`auc.method` in PKNCA).
METHOD_LIN_UP_LOG_DOWN = 0
METHOD_LINEAR = 1
METHOD_LIN_LOG = 2

# BLQ handling for one position (PKNCA `conc.blq` list entries); a value >= 0 replaces the BLQ value.
BLQ_KEEP = -1.0
BLQ_DROP = -2.0

# How each segment between two samples is integrated (`choose_interval_method`).
_SEG_ZERO = 0
_SEG_LINEAR = 1
_SEG_LOG = 2
_SEG_EXTRAP = 3

# AUC types (`auc.type`).
_AUCLAST = 0
_AUCINF = 1

# Output slots, one per parameter.
P_CMAX = 0
P_TMAX = 1
P_CLST = 2
P_TLAST = 3
P_AUCLST = 4
P_LAMZ = 5
P_R2 = 6
P_R2ADJ = 7
P_LAMZNPT = 8
P_LAMZLL = 9
P_LAMZUL = 10
P_CLSTP = 11
P_LAMZHL = 12
P_LAMZSPN = 13
P_AUCIFO = 14
P_AUCIFP = 15
P_AUCPEO = 16
P_AUCPEP = 17
P_AUCINT = 18
N_PARAMS = 19

# Auxiliary outputs: facts an exclusion reason quotes.
AUX_HL_CANDIDATES = 0
N_AUX = 1

# Reason codes; 0 means computed.
OK = 0
NO_SAMPLES = 1
ALL_BLQ = 2
ONE_SAMPLE = 3
START_BEFORE_FIRST = 4
HL_TOO_FEW = 5
HL_NO_POSITIVE = 6
HL_MANUAL_NONE = 7
HL_MANUAL_NOT_POSITIVE = 8
NEEDS_LAMZ = 9
ADJR2_TWO_POINTS = 10
AUCINF_ZERO = 11
NOT_REQUESTED = 12


@_jit
def clean_blq(
    time: FloatArray, conc: FloatArray, first: float, middle: float, last: float
) -> tuple[FloatArray, FloatArray]:
    """PKNCA `clean.conc.blq` with a first/middle/last rule list: keep, drop or replace BLQ (0) values."""
    n = time.shape[0]
    if n == 0:
        return time.copy(), conc.copy()
    tfirst = math.nan
    tlast = math.nan
    for i in range(n):
        if conc[i] != 0.0:
            if math.isnan(tfirst):
                tfirst = time[i]
            tlast = time[i]
    if math.isnan(tfirst):
        # All BLQ: PKNCA files every value under "first".
        tfirst = time[n - 1]
        tlast = tfirst + 1.0
    keep = np.ones(n, dtype=np.bool_)
    cleaned = conc.copy()
    rules = (first, middle, last)
    for position in range(3):
        rule = rules[position]
        if rule == BLQ_KEEP:
            continue
        for i in range(n):
            if not keep[i] or cleaned[i] != 0.0:
                continue
            t = time[i]
            if position == 0:
                hit = t <= tfirst
            elif position == 1:
                hit = tfirst < t < tlast
            else:
                hit = tlast <= t
            if hit:
                if rule == BLQ_DROP:
                    keep[i] = False
                else:
                    cleaned[i] = rule
    return time[keep], cleaned[keep]


@_jit
def _tmax(time: FloatArray, conc: FloatArray, first_tmax: bool) -> float:
    """PKNCA `pk.calc.tmax`: NaN when there is no sample or every value is BLQ."""
    n = time.shape[0]
    cmax = -math.inf
    for i in range(n):
        cmax = max(cmax, conc[i])
    if n == 0 or cmax == 0.0:
        return math.nan
    found = math.nan
    for i in range(n):
        if conc[i] == cmax:
            found = time[i]
            if first_tmax:
                break
    return found


@_jit
def _tlast_index(conc: FloatArray) -> int:
    """Index of the last measurable (non-zero) value, or -1 when all are BLQ."""
    for i in range(conc.shape[0] - 1, -1, -1):
        if conc[i] != 0.0:
            return i
    return -1


@_jit
def _segment_methods(
    time: FloatArray, conc: FloatArray, idx_tlast: int, method: int, auc_type: int, first_tmax: bool
) -> IntArray:
    """PKNCA `choose_interval_method`: how to integrate each segment; the last entry is the tail."""
    n = conc.shape[0]
    methods = np.full(n, _SEG_ZERO, dtype=np.int64)
    if idx_tlast < 0:
        return methods
    tmax = _tmax(time, conc, first_tmax) if method == METHOD_LIN_LOG else math.nan
    for i in range(n - 1):
        c1 = conc[i]
        c2 = conc[i + 1]
        if method == METHOD_LINEAR:
            chosen = _SEG_LINEAR
        elif method == METHOD_LIN_UP_LOG_DOWN:
            chosen = _SEG_LOG if (c2 < c1 and c2 != 0.0) else _SEG_LINEAR
        elif time[i + 1] <= tmax or c1 == 0.0 or c2 == 0.0:
            chosen = _SEG_LINEAR
        else:
            chosen = _SEG_LOG
        if c1 == 0.0 and c2 == 0.0:
            chosen = _SEG_ZERO
        if i >= idx_tlast:
            chosen = _SEG_ZERO
        methods[i] = chosen
    methods[n - 1] = _SEG_EXTRAP if auc_type == _AUCINF else _SEG_ZERO
    return methods


@_jit
def _log_trapezoid(c1: float, c2: float, dt: float) -> float:
    """The log-trapezoid area, with R's arithmetic where a concentration is 0 (the area is then 0)."""
    if c1 == 0.0 or c2 == 0.0:
        return 0.0
    if c1 == c2:
        return math.nan
    return dt * (c2 - c1) / math.log(c2 / c1)


@_jit
def _integrate(time: FloatArray, conc: FloatArray, methods: IntArray, clast: float, lambda_z: float) -> float:
    """PKNCA `auc_integrate` (area under the curve only)."""
    n = conc.shape[0]
    total = 0.0
    for i in range(n - 1):
        dt = time[i + 1] - time[i]
        if methods[i] == _SEG_LINEAR:
            total += dt * (conc[i + 1] + conc[i]) / 2.0
        elif methods[i] == _SEG_LOG:
            total += _log_trapezoid(conc[i], conc[i + 1], dt)
    if methods[n - 1] == _SEG_EXTRAP:
        total += clast / lambda_z
    return total


@_jit
def _auc_from_zero(
    time: FloatArray,
    conc: FloatArray,
    blq: FloatArray,
    method: int,
    auc_type: int,
    clast: float,
    lambda_z: float,
    first_tmax: bool,
) -> tuple[float, int]:
    """PKNCA `pk.calc.auxc` over (0, Inf) on times relative to the interval start: AUClast or AUCinf."""
    t, c = clean_blq(time, conc, blq[0], blq[1], blq[2])
    n = t.shape[0]
    if n == 0:
        return math.nan, NO_SAMPLES
    if n == 1:
        return math.nan, ONE_SAMPLE
    idx_tlast = _tlast_index(c)
    if idx_tlast < 0:
        return 0.0, OK
    if t[0] > 0.0:
        return math.nan, START_BEFORE_FIRST
    if auc_type == _AUCINF and math.isnan(lambda_z):
        return math.nan, NEEDS_LAMZ
    methods = _segment_methods(t, c, idx_tlast, method, auc_type, first_tmax)
    return _integrate(t, c, methods, clast, lambda_z), OK


@_jit
def _fit_log_linear(
    time: FloatArray, log_conc: FloatArray, tlast: float
) -> tuple[float, float, float, float]:
    """PKNCA `fit_half_life`: least squares of log(conc) on time -> (lambda_z, r2, adj_r2, clast_pred)."""
    n = time.shape[0]
    mean_t = 0.0
    mean_y = 0.0
    for i in range(n):
        mean_t += time[i]
        mean_y += log_conc[i]
    mean_t /= n
    mean_y /= n
    sxx = 0.0
    sxy = 0.0
    syy = 0.0
    for i in range(n):
        dx = time[i] - mean_t
        dy = log_conc[i] - mean_y
        sxx += dx * dx
        sxy += dx * dy
        syy += dy * dy
    slope = sxy / sxx
    intercept = mean_y - slope * mean_t
    ss_res = 0.0
    for i in range(n):
        residual = log_conc[i] - (intercept + slope * time[i])
        ss_res += residual * residual
    r2 = 1.0 - ss_res / syy if syy > 0.0 else math.nan
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - 2) if n > 2 else math.nan
    return -slope, r2, adj_r2, math.exp(intercept + slope * tlast)


@_jit
def _store_fit(
    out: FloatArray,
    codes: IntArray,
    time: FloatArray,
    lambda_z: float,
    r2: float,
    adj_r2: float,
    clast_pred: float,
) -> None:
    n = time.shape[0]
    half_life = math.log(2.0) / lambda_z
    out[P_LAMZ] = lambda_z
    out[P_R2] = r2
    out[P_R2ADJ] = adj_r2
    out[P_LAMZNPT] = n
    out[P_LAMZLL] = time[0]
    out[P_LAMZUL] = time[n - 1]
    out[P_CLSTP] = clast_pred
    out[P_LAMZHL] = half_life
    out[P_LAMZSPN] = (time[n - 1] - time[0]) / half_life
    for slot in (P_LAMZ, P_R2, P_LAMZNPT, P_LAMZLL, P_LAMZUL, P_CLSTP, P_LAMZHL, P_LAMZSPN):
        codes[slot] = OK
    codes[P_R2ADJ] = ADJR2_TWO_POINTS if n <= 2 else OK


@_jit
def _half_life(
    time: FloatArray,
    conc: FloatArray,
    allowed: BoolArray,
    manual: bool,
    tmax: float,
    tlast: float,
    blq: FloatArray,
    min_points: int,
    adj_r2_factor: float,
    allow_tmax: bool,
    out: FloatArray,
    codes: IntArray,
    aux: FloatArray,
) -> None:
    """PKNCA `pk.calc.half.life` with its default automatic point selection, or fit the analyst's points."""
    t, c = clean_blq(time[allowed], conc[allowed], blq[0], blq[1], blq[2])
    positive = c > 0.0
    t = t[positive]
    log_c = np.log(c[positive])
    if manual:
        if t.shape[0] < 2:
            _fail_half_life(codes, HL_MANUAL_NONE)
            return
        lambda_z, r2, adj_r2, clast_pred = _fit_log_linear(t, log_c, tlast)
        if not lambda_z > 0.0:
            _fail_half_life(codes, HL_MANUAL_NOT_POSITIVE)
            return
        _store_fit(out, codes, t, lambda_z, r2, adj_r2, clast_pred)
        return
    after = (t >= tmax) if allow_tmax else (t > tmax)
    t = t[after]
    log_c = log_c[after]
    n = t.shape[0]
    aux[AUX_HL_CANDIDATES] = n
    if n < min_points:
        _fail_half_life(codes, HL_TOO_FEW)
        return
    # Fits on the last k points, k = min_points..n, as PKNCA grows them backwards from the last time.
    lambdas = np.full(n + 1, -math.inf)
    r2s = np.full(n + 1, -math.inf)
    adj = np.full(n + 1, -math.inf)
    clast_preds = np.full(n + 1, math.nan)
    best_adj = -math.inf
    for k in range(min_points, n + 1):
        lambdas[k], r2s[k], adj[k], clast_preds[k] = _fit_log_linear(t[n - k :], log_c[n - k :], tlast)
        if adj[k] > best_adj:
            best_adj = adj[k]
    chosen = -1
    for k in range(min_points, n + 1):
        within = True if (min_points == 2 and n == 2) else adj[k] > best_adj - adj_r2_factor
        if lambdas[k] > 0.0 and within:
            chosen = k
    if chosen < 0:
        _fail_half_life(codes, HL_NO_POSITIVE)
        return
    _store_fit(out, codes, t[n - chosen :], lambdas[chosen], r2s[chosen], adj[chosen], clast_preds[chosen])


@_jit
def _fail_half_life(codes: IntArray, reason: int) -> None:
    for slot in (P_LAMZ, P_R2, P_R2ADJ, P_LAMZNPT, P_LAMZLL, P_LAMZUL, P_CLSTP, P_LAMZHL, P_LAMZSPN):
        codes[slot] = reason


@_jit
def _interpolate(
    time: FloatArray, conc: FloatArray, idx_tlast: int, at: float, method: int, first_tmax: bool
) -> float:
    """PKNCA `interpolate.conc` at a time that is not a sample time and is not after Tlast."""
    if at < time[0]:
        return 0.0  # PKNCA's conc.origin: nothing before the first sample.
    methods = _segment_methods(time, conc, idx_tlast, method, _AUCLAST, first_tmax)
    before = 0
    while time[before + 1] < at:
        before += 1
    t1 = float(time[before])
    t2 = float(time[before + 1])
    c1 = float(conc[before])
    c2 = float(conc[before + 1])
    if methods[before] == _SEG_LINEAR:
        return c1 + (at - t1) / (t2 - t1) * (c2 - c1)
    if methods[before] == _SEG_LOG:
        return math.exp(math.log(c1) + (at - t1) / (t2 - t1) * (math.log(c2) - math.log(c1)))
    return 0.0


@_jit
def _aucint(
    time: FloatArray,
    conc: FloatArray,
    start: float,
    end: float,
    blq: FloatArray,
    method: int,
    clast: float,
    lambda_z: float,
    first_tmax: bool,
) -> tuple[float, int]:
    """PKNCA `pk.calc.aucint` with auc.type AUCinf and Clast,obs over a finite interval (aucint.inf.obs).

    `time`/`conc` are the subject's whole profile; an interval end between samples is interpolated,
    and one after Tlast is extrapolated as Clast·exp(−λz·(t − Tlast)).
    """
    t, c = clean_blq(time, conc, blq[0], blq[1], blq[2])
    n = t.shape[0]
    idx_tlast = _tlast_index(c)
    if idx_tlast < 0:
        return 0.0, OK
    if math.isnan(clast) and math.isnan(lambda_z):
        return math.nan, NEEDS_LAMZ
    tlast = t[idx_tlast]
    extra_t = np.empty(2)
    extra_c = np.empty(2)
    n_extra = 0
    for at in (start, end):
        present = False
        for i in range(n):
            if t[i] == at:
                present = True
        if present:
            continue
        if at <= tlast:
            value = _interpolate(t, c, idx_tlast, at, method, first_tmax)
        else:
            value = clast * math.exp(-lambda_z * (at - tlast))
        extra_t[n_extra] = at
        extra_c[n_extra] = value
        n_extra += 1
    all_t = np.concatenate((t, extra_t[:n_extra]))
    all_c = np.concatenate((c, extra_c[:n_extra]))
    extrapolated = np.zeros(all_t.shape[0], dtype=np.bool_)
    extrapolated[n:] = extra_t[:n_extra] > tlast
    order = np.argsort(all_t, kind="mergesort")
    keep = (all_t[order] >= start) & (all_t[order] <= end)
    ti = all_t[order][keep]
    ci = all_c[order][keep]
    extrapolated = extrapolated[order][keep]
    for i in range(ti.shape[0]):
        if math.isnan(ci[i]):
            return math.nan, NEEDS_LAMZ
    methods = _segment_methods(ti, ci, ti.shape[0] - 1, method, _AUCINF, first_tmax)
    methods[ti.shape[0] - 1] = _SEG_ZERO
    # PKNCA integrates the segment that ends at an extrapolated time on the log scale.
    for i in range(1, ti.shape[0]):
        if extrapolated[i]:
            methods[i - 1] = _SEG_LOG
    return _integrate(ti, ci, methods, clast, lambda_z), OK


@_jit
def nca_interval(
    time: FloatArray,
    conc: FloatArray,
    allowed: BoolArray,
    manual: bool,
    start: float,
    end: float,
    blq: FloatArray,
    method: int,
    min_points: int,
    adj_r2_factor: float,
    allow_tmax: bool,
    first_tmax: bool,
    out: FloatArray,
    codes: IntArray,
    aux: FloatArray,
) -> None:
    """Every parameter of one subject over one interval, as PKNCA's `pk.nca` computes it.

    Within the interval, times are taken relative to its start (as PKNCA does); AUCint uses the
    whole profile so that an end between samples can be interpolated or extrapolated.
    """
    out[:] = math.nan
    codes[:] = OK
    aux[:] = math.nan
    inside = (time >= start) & (time <= end)
    t = time[inside] - start
    c = conc[inside]
    n = t.shape[0]
    if n == 0:
        codes[:] = NO_SAMPLES
        return
    cmax = c.max()
    out[P_CMAX] = cmax
    idx_tlast = _tlast_index(c)
    if idx_tlast < 0:
        out[P_CLST] = 0.0
        codes[P_TMAX] = ALL_BLQ
        codes[P_TLAST] = ALL_BLQ
        _fail_half_life(codes, ALL_BLQ)
    else:
        out[P_TMAX] = _tmax(t, c, first_tmax)
        out[P_TLAST] = t[idx_tlast]
        out[P_CLST] = c[idx_tlast]
        _half_life(
            t,
            c,
            allowed[inside],
            manual,
            out[P_TMAX],
            out[P_TLAST],
            blq,
            min_points,
            adj_r2_factor,
            allow_tmax,
            out,
            codes,
            aux,
        )
    out[P_AUCLST], codes[P_AUCLST] = _auc_from_zero(
        t, c, blq, method, _AUCLAST, math.nan, math.nan, first_tmax
    )
    lambda_z = out[P_LAMZ]
    for slot, clast in ((P_AUCIFO, out[P_CLST]), (P_AUCIFP, out[P_CLSTP])):
        out[slot], codes[slot] = _auc_from_zero(t, c, blq, method, _AUCINF, clast, lambda_z, first_tmax)
    for slot, inf_slot in ((P_AUCPEO, P_AUCIFO), (P_AUCPEP, P_AUCIFP)):
        if codes[inf_slot] != OK:
            codes[slot] = codes[inf_slot]
        elif out[inf_slot] == 0.0:
            codes[slot] = AUCINF_ZERO
        else:
            out[slot] = 100.0 * (1.0 - out[P_AUCLST] / out[inf_slot])
            codes[slot] = codes[P_AUCLST]
            if codes[slot] != OK:
                out[slot] = math.nan
    if math.isinf(end):
        codes[P_AUCINT] = NOT_REQUESTED
    else:
        out[P_AUCINT], codes[P_AUCINT] = _aucint(
            time, conc, start, end, blq, method, out[P_CLST], lambda_z, first_tmax
        )


@_jit
def nca_batch(
    times: FloatArray,
    concs: FloatArray,
    counts: IntArray,
    allowed: BoolArray,
    manual: BoolArray,
    starts: FloatArray,
    ends: FloatArray,
    blq: FloatArray,
    method: int,
    min_points: int,
    adj_r2_factor: float,
    allow_tmax: bool,
    first_tmax: bool,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """`nca_interval` for every profile (rows of padded 2-D arrays, `counts` samples each) × interval."""
    n_profiles = times.shape[0]
    n_intervals = starts.shape[0]
    out = np.empty((n_profiles, n_intervals, N_PARAMS))
    codes = np.empty((n_profiles, n_intervals, N_PARAMS), dtype=np.int64)
    aux = np.empty((n_profiles, n_intervals, N_AUX))
    for p in range(n_profiles):
        k = counts[p]
        for j in range(n_intervals):
            nca_interval(
                times[p, :k],
                concs[p, :k],
                allowed[p, :k],
                manual[p],
                starts[j],
                ends[j],
                blq,
                method,
                min_points,
                adj_r2_factor,
                allow_tmax,
                first_tmax,
                out[p, j],
                codes[p, j],
                aux[p, j],
            )
    return out, codes, aux
