"""NCA checked against hand calculations and against PKNCA's published theophylline results."""

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError
from cartrial.kinetics import (
    ConcentrationProfile,
    Interval,
    LambdaZOverride,
    NcaMethod,
    NcaSettings,
    SubjectNca,
    calculate_nca,
)
from cartrial.kinetics.parse import parse_profiles_csv
from cartrial.kinetics.summary import summarise_by_dose

LN2 = math.log(2)
INF = Interval(0.0, math.inf)
THEOPH = Path(__file__).parents[2] / "examples" / "kinetics" / "theoph.csv"


def profile(
    times: list[float], values: list[float | None], subject: str = "S1", dose: float = 25.0
) -> ConcentrationProfile:
    """A profile where None marks a BLQ sample."""
    return ConcentrationProfile(
        subject=subject,
        dose=dose,
        times=tuple(times),
        values=tuple(0.0 if v is None else v for v in values),
        blq=tuple(v is None for v in values),
        lloq=(None,) * len(times),
    )


def one(p: ConcentrationProfile, intervals: list[Interval], **kwargs: object) -> SubjectNca:
    nca_settings = NcaSettings(**kwargs)  # type: ignore[arg-type]
    return calculate_nca([p], intervals, nca_settings)[0]


def exclusion(result: SubjectNca, testcd: str, interval: Interval) -> str | None:
    end = None if interval.is_infinite else interval.end
    (row,) = [
        r for r in result.parameters if r.testcd == testcd and r.start == interval.start and r.end == end
    ]
    assert row.value is None
    return row.exclusion


# PKNCA's own example (pk.calc.auxc help page): conc 0, 1, 2, 1, 0.5, 0.25, 0 at t = 0..6.
PKNCA_EXAMPLE = profile([0, 1, 2, 3, 4, 5, 6], [None, 1, 2, 1, 0.5, 0.25, None])


def test_pknca_example_by_hand_lin_up_log_down() -> None:
    r = one(PKNCA_EXAMPLE, [INF])
    assert r.value("CMAX", INF) == 2.0
    assert r.value("TMAX", INF) == 2.0
    assert r.value("TLST", INF) == 5.0
    assert r.value("CLST", INF) == 0.25
    # Linear 0→1→2 (0.5 + 1.5), then log down 2→1→0.5→0.25: (2 − 0.25)/ln 2; the trailing BLQ adds nothing.
    assert r.value("AUCLST", INF) == pytest.approx(2 + 1.75 / LN2, rel=1e-12)
    # λz from t = 3, 4, 5 (after Tmax, the BLQ at 6 left out): exactly ln 2.
    assert r.value("LAMZ", INF) == pytest.approx(LN2, rel=1e-12)
    assert r.value("LAMZHL", INF) == pytest.approx(1.0, rel=1e-12)
    assert r.value("LAMZNPT", INF) == 3
    assert r.value("R2ADJ", INF) == pytest.approx(1.0)
    assert r.value("CLSTP", INF) == pytest.approx(0.25, rel=1e-12)
    assert r.value("AUCIFO", INF) == pytest.approx(2 + 2 / LN2, rel=1e-12)
    assert r.value("AUCPEO", INF) == pytest.approx(100 * (0.25 / LN2) / (2 + 2 / LN2), rel=1e-12)
    assert r.lambda_z[0].times == (3.0, 4.0, 5.0)
    assert r.lambda_z[0].selection == "automatic"


def test_integration_rules_differ_as_defined() -> None:
    linear = one(PKNCA_EXAMPLE, [INF], method=NcaMethod.LINEAR)
    assert linear.value("AUCLST", INF) == pytest.approx(0.5 + 1.5 + 1.5 + 0.75 + 0.375, rel=1e-12)
    lin_log = one(PKNCA_EXAMPLE, [INF], method=NcaMethod.LIN_LOG)
    assert lin_log.value("AUCLST", INF) == pytest.approx(2 + 1.75 / LN2, rel=1e-12)
    # A rise after Tmax: lin-up/log-down integrates it linearly, lin-log on the log scale.
    bump = profile([0, 1, 2, 3], [None, 8, 2, 4])
    lin_up = one(bump, [INF]).value("AUCLST", INF)
    after_tmax_log = one(bump, [INF], method=NcaMethod.LIN_LOG).value("AUCLST", INF)
    assert lin_up == pytest.approx(4 + 6 / math.log(4) + 3, rel=1e-12)
    assert after_tmax_log == pytest.approx(4 + 6 / math.log(4) + 2 / math.log(2), rel=1e-12)


def test_aucint_interpolates_an_end_between_samples() -> None:
    half = Interval(0.0, 2.5)
    # Log-down interpolation between (2, 2) and (3, 1): C(2.5) = √2.
    r = one(PKNCA_EXAMPLE, [half])
    assert r.value("AUCINT", half) == pytest.approx(2 + (2 - math.sqrt(2)) / LN2, rel=1e-12)
    assert one(PKNCA_EXAMPLE, [half], method=NcaMethod.LINEAR).value("AUCINT", half) == pytest.approx(2.875)
    # AUClast of the interval stops at the last sample inside it (t = 2).
    assert r.value("AUCLST", half) == pytest.approx(2.0)


def test_aucint_extrapolates_after_tlast_with_lambda_z() -> None:
    # PKNCA test-aucint.R "AUCinf is traced": 8, 4, 2, 1 at 0..3, λz = ln 2, so C(4) = 0.5.
    p = profile([0, 1, 2, 3], [8, 4, 2, 1])
    to_4, to_3_5 = Interval(0.0, 4.0), Interval(0.0, 3.5)
    r = one(p, [to_4, to_3_5])
    assert r.value("AUCINT", to_4) == pytest.approx(7.5 / LN2, rel=1e-12)
    assert r.value("AUCINT", to_3_5) == pytest.approx((8 - 1 / math.sqrt(2)) / LN2, rel=1e-12)


def test_aucint_with_trailing_blq_follows_pknca() -> None:
    # Tlast = 4, BLQ at 5, end 6 extrapolated to 0.25. PKNCA's aucint integrates 4→5 linearly
    # (a triangle to the BLQ 0) and 5→6 on the log scale from 0, which adds nothing.
    p = profile([0, 1, 2, 3, 4, 5], [None, 8, 4, 2, 1, None])
    six = Interval(0.0, 6.0)
    assert one(p, [six]).value("AUCINT", six) == pytest.approx(4 + 7 / LN2 + 0.5, rel=1e-12)


def test_aucint_without_a_sample_at_zero_starts_from_zero() -> None:
    p = profile([1, 2, 4], [4, 2, 1])
    to_4 = Interval(0.0, 4.0)
    r = one(p, [to_4, INF])
    assert r.value("AUCINT", to_4) == pytest.approx(2 + 4 / LN2, rel=1e-12)
    # PKNCA's AUClast refuses to start before the first measurement.
    assert "before the first measurement" in (exclusion(r, "AUCLST", INF) or "")


def test_middle_blq_dropped_by_default_and_kept_on_request() -> None:
    p = profile([0, 1, 2, 3, 4], [None, 4, None, 2, 1])
    assert one(p, [INF]).value("AUCLST", INF) == pytest.approx(2 + 5 / LN2, rel=1e-12)
    kept = one(p, [INF], blq_middle="keep").value("AUCLST", INF)
    assert kept == pytest.approx(2 + 2 + 1 + 1 / LN2, rel=1e-12)
    replaced = one(p, [INF], blq_middle=0.5, method=NcaMethod.LINEAR).value("AUCLST", INF)
    assert replaced == pytest.approx(2 + 2.25 + 1.25 + 1.5, rel=1e-12)


def test_too_few_points_gives_no_lambda_z_and_says_why() -> None:
    p = profile([0, 1, 3, 4], [None, 4, 2, 1])
    r = one(p, [INF])
    assert exclusion(r, "LAMZ", INF) == ("too few points for λz: needs 3 measurable points after Tmax, has 2")
    reason = exclusion(r, "AUCIFO", INF)
    assert reason is not None and reason.startswith("needs λz")
    assert r.value("AUCLST", INF) is not None
    assert r.lambda_z == ()
    assert one(p, [INF], min_hl_points=2).value("LAMZ", INF) == pytest.approx(LN2 / 1, rel=1e-12)


def test_rising_terminal_phase_gives_no_lambda_z() -> None:
    p = profile([0, 1, 2, 3, 4], [None, 8, 1, 2, 4])
    assert "does not decline" in (exclusion(one(p, [INF]), "LAMZ", INF) or "")


def test_all_blq_profile() -> None:
    p = profile([0, 1, 2], [None, None, None])
    r = one(p, [INF])
    assert r.value("CMAX", INF) == 0.0
    assert r.value("AUCLST", INF) == 0.0
    assert r.value("AUCIFO", INF) == 0.0
    assert exclusion(r, "TMAX", INF) == "all values in the interval are BLQ"
    assert exclusion(r, "AUCPEO", INF) == "AUCinf is 0"


def test_analyst_include_and_exclude_keep_their_reason() -> None:
    include = LambdaZOverride(subject="S1", reason="terminal phase starts at day 4", include_times=(4.0, 5.0))
    r = calculate_nca([PKNCA_EXAMPLE], [INF], overrides=[include])[0]
    assert r.value("LAMZ", INF) == pytest.approx(LN2, rel=1e-12)
    assert r.value("LAMZNPT", INF) == 2
    assert exclusion(r, "R2ADJ", INF) == "adjusted R² needs more than 2 points"
    assert r.lambda_z[0].times == (4.0, 5.0)
    assert r.lambda_z[0].selection == "analyst"
    assert r.lambda_z[0].reason == "terminal phase starts at day 4"

    exclude = LambdaZOverride(subject="S1", reason="haemolysed sample", exclude_times=(5.0,))
    r = calculate_nca([PKNCA_EXAMPLE], [INF], overrides=[exclude])[0]
    assert "has 2" in (exclusion(r, "LAMZ", INF) or "")

    missing = LambdaZOverride(subject="S1", reason="typo", exclude_times=(4.5,))
    with pytest.raises(InputError, match=r"no sample at time 4\.5"):
        calculate_nca([PKNCA_EXAMPLE], [INF], overrides=[missing])
    with pytest.raises(InputError, match="needs a reason"):
        LambdaZOverride(subject="S1", reason=" ", exclude_times=(4.0,))


def test_lambda_z_prefers_more_points_within_the_adjusted_r2_tolerance() -> None:
    # Exactly log-linear after Tmax: every fit has adjusted R² 1, so the fit with the most points wins.
    p = profile([0, 1, 2, 3, 4, 5, 6], [None, 64, 32, 16, 8, 4, 2])
    r = one(p, [INF])
    assert r.value("LAMZNPT", INF) == 5
    assert r.lambda_z[0].times == (2.0, 3.0, 4.0, 5.0, 6.0)
    # With Tmax allowed in the fit, it joins the line too.
    assert one(p, [INF], allow_tmax_in_half_life=True).value("LAMZNPT", INF) == 6


def test_theophylline_matches_pknca_vignette() -> None:
    """PKNCA 0.12 vignette "Computing NCA Parameters for Theophylline" (datasets::Theoph)."""
    profiles = parse_profiles_csv(THEOPH.read_text())
    to_24 = Interval(0.0, 24.0)
    results = {r.subject: r for r in calculate_nca(profiles, [to_24, INF])}
    s1, s6 = results["1"], results["6"]
    assert s1.value("AUCLST", to_24) == pytest.approx(92.365442, abs=5e-7)
    assert s1.value("CMAX", INF) == 10.5
    assert s1.value("TMAX", INF) == 1.12
    assert s1.value("TLST", INF) == 24.37
    assert s1.value("CLST", INF) == 3.28
    assert s1.value("LAMZ", INF) == pytest.approx(0.048457, abs=5e-7)
    assert s6.value("AUCLST", INF) == pytest.approx(71.6970150, abs=5e-8)
    assert s6.value("LAMZ", INF) == pytest.approx(0.0877957, abs=5e-8)


def scaled(p: ConcentrationProfile, factor: float) -> ConcentrationProfile:
    return ConcentrationProfile(
        p.subject, p.dose, p.times, tuple(v * factor for v in p.values), p.blq, p.lloq
    )


profiles_strategy = st.lists(
    st.tuples(st.floats(0.05, 5.0), st.floats(0.01, 1000.0)), min_size=4, max_size=12
).map(
    lambda steps: profile(
        [0.0, *[sum(s for s, _ in steps[: i + 1]) for i in range(len(steps))]], [None, *[v for _, v in steps]]
    )
)


@settings(max_examples=40, deadline=None)
@given(profiles_strategy, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_linear_auc_is_additive_over_adjacent_intervals(p: ConcentrationProfile, a: float, b: float) -> None:
    tlast = p.times[-1]
    middle, end = sorted((a * tlast, b * tlast))
    # PKNCA computes nothing for an interval without samples; give each part one.
    assume(0 < middle < end and any(middle <= t <= end for t in p.times))
    first, second, whole = Interval(0.0, middle), Interval(middle, end), Interval(0.0, end)
    r = one(p, [first, second, whole], method=NcaMethod.LINEAR)
    parts = (r.value("AUCINT", first) or 0.0) + (r.value("AUCINT", second) or 0.0)
    assert parts == pytest.approx(r.value("AUCINT", whole), rel=1e-9)


# Random profiles often end without a clearly declining λz fit, which the assume() below filters out.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(profiles_strategy, st.sampled_from([0.5, 2.0, 16.0, 1024.0]))
def test_scaling_values_scales_cmax_and_auc_only(p: ConcentrationProfile, k: float) -> None:
    # Powers of 2 scale floats exactly, so the up/down comparisons of the integration rule are the same
    # (with k = 10, 0.010000000000000002 > 0.01 can become a tie and switch a segment to linear).
    base, times_k = one(p, [INF]), one(scaled(p, k), [INF])
    for testcd in ("CMAX", "AUCLST"):
        assert times_k.value(testcd, INF) == pytest.approx(k * (base.value(testcd, INF) or 0.0), rel=1e-12)
    assert times_k.value("TMAX", INF) == base.value("TMAX", INF)
    # A terminal slope at rounding-noise level (e.g. 4, 1.75, 4) has an arbitrary sign, in PKNCA too:
    # compare λz-based values only for a clearly declining fit.
    lambda_z = base.value("LAMZ", INF)
    assume(lambda_z is not None and lambda_z > 1e-6)
    assert times_k.value("LAMZHL", INF) == pytest.approx(base.value("LAMZHL", INF), rel=1e-9)
    assert times_k.value("AUCIFO", INF) == pytest.approx(k * (base.value("AUCIFO", INF) or 0.0), rel=1e-9)


def test_half_life_matches_pknca_unit_tests() -> None:
    """Expected values from PKNCA 0.12 tests/testthat/test-half.life.R."""
    p = profile([0, 1, 2, 3], [1, 0.5, 0.25, 0.1251])
    assert one(p, [INF]).value("LAMZHL", INF) == pytest.approx(1.000577, abs=1e-5)
    with_tmax = one(p, [INF], allow_tmax_in_half_life=True, adj_r_squared_factor=0.1)
    assert with_tmax.value("LAMZHL", INF) == pytest.approx(1.000346, abs=1e-5)
    assert with_tmax.value("LAMZ", INF) == pytest.approx(0.6929073, abs=1e-6)
    assert with_tmax.value("LAMZNPT", INF) == 4
    assert with_tmax.value("CLSTP", INF) == pytest.approx(0.12507, abs=1e-5)
    assert with_tmax.value("LAMZSPN", INF) == pytest.approx(2.998962, abs=1e-5)
    manual = LambdaZOverride(subject="S1", reason="all points", include_times=(0, 1, 2, 3, 4, 5))
    q = profile([0, 1, 2, 3, 4, 5], [3, 1, 0.5, 0.13, 0.12, 0.113])
    r = calculate_nca([q], [INF], overrides=[manual])[0]
    assert r.value("LAMZHL", INF) == pytest.approx(1.00653, abs=1e-4)
    assert r.value("LAMZHL", INF) != one(q, [INF]).value("LAMZHL", INF)


def test_matches_pknca_auc_vignette() -> None:
    """PKNCA 0.12 vignette "AUC Calculation with PKNCA": every parameter of its example profile."""
    p = profile([0, 1, 2, 3, 4, 5, 8, 12, 24], [None, 2.5, 3, 2, 1.5, 1.2, 1.1, None, None])
    r = one(p, [INF])
    expected = {
        "AUCLST": 12.9965842,
        "TMAX": 2.0,
        "TLST": 8.0,
        "CLST": 1.1,
        "LAMZ": 0.1075592,
        "R2": 0.7580245,
        "R2ADJ": 0.6370368,
        "LAMZLL": 3.0,
        "LAMZUL": 8.0,
        "LAMZNPT": 4.0,
        "CLSTP": 1.0216136,
        "LAMZHL": 6.4443313,
        "LAMZSPN": 0.7758757,
        "AUCIFO": 23.2235095,
        "AUCIFP": 22.4947355,
    }
    for testcd, value in expected.items():
        assert r.value(testcd, INF) == pytest.approx(value, abs=5e-8), testcd


def test_theophylline_summary_matches_pknca_vignette() -> None:
    """The vignette's summary table (all 12 subjects together): geometric mean [geo CV%], median [range]."""
    profiles = [
        ConcentrationProfile(p.subject, 1.0, p.times, p.values, p.blq, p.lloq)
        for p in parse_profiles_csv(THEOPH.read_text())
    ]
    to_24 = Interval(0.0, 24.0)
    summary = {
        (s.end, s.testcd): s for s in summarise_by_dose(calculate_nca(profiles, [to_24, INF]), [to_24, INF])
    }
    auclast_24 = summary[(24.0, "AUCLST")]
    assert (round(auclast_24.geometric_mean or 0, 1), round(auclast_24.geometric_cv_percent or 0, 1)) == (
        74.6,
        24.3,
    )
    cmax = summary[(None, "CMAX")]
    assert (round(cmax.geometric_mean or 0, 2), round(cmax.geometric_cv_percent or 0, 1)) == (8.65, 17.0)
    tmax = summary[(None, "TMAX")]
    assert (round(tmax.median or 0, 2), tmax.minimum, tmax.maximum, tmax.mean) == (1.14, 0.63, 3.55, None)
    half_life = summary[(None, "LAMZHL")]
    assert (round(half_life.mean or 0, 2), round(half_life.sd or 0, 2)) == (8.18, 2.12)
    aucinf = summary[(None, "AUCIFO")]
    assert (round(aucinf.geometric_mean or 0), round(aucinf.geometric_cv_percent or 0, 1)) == (115, 28.4)
    auclast = summary[(None, "AUCLST")]
    assert (round(auclast.geometric_mean or 0, 1), round(auclast.geometric_cv_percent or 0, 1)) == (
        98.7,
        22.5,
    )
    assert summary[(None, "CMAXD")].geometric_mean == cmax.geometric_mean


def test_no_profiles_no_results() -> None:
    assert calculate_nca([]) == ()


def test_aucint_interpolation_follows_the_rule_on_each_side_of_tmax() -> None:
    before_tmax, after_tmax = Interval(0.0, 1.5), Interval(0.0, 2.5)
    for method in NcaMethod:
        r = one(PKNCA_EXAMPLE, [before_tmax, after_tmax], method=method)
        # Rising from 1 to 2: every rule interpolates linearly, C(1.5) = 1.5.
        assert r.value("AUCINT", before_tmax) == pytest.approx(0.5 + 0.625, rel=1e-12)
        expected = 2.875 if method is NcaMethod.LINEAR else 2 + (2 - math.sqrt(2)) / LN2
        assert r.value("AUCINT", after_tmax) == pytest.approx(expected, rel=1e-12)
