import math
from datetime import UTC, datetime, timedelta

import pytest

from cartrial.data import embedded_protocol
from cartrial.errors import InputError
from cartrial.safety import adjudicate_dlt, compile_dlt_rules
from cartrial.synthetic.study import (
    CRS_INCIDENCE,
    CRS_TERM,
    KINETICS_LLOQ,
    SCENARIOS,
    _lognormal_sigma,
    observed_profile,
    safety_record,
    select_scenario,
    simulate_subject,
)

INFUSION = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
COIN = select_scenario("0.5,0.5,0.5,0.5", 4)


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_the_safety_core_finds_exactly_the_drawn_dlts_by_the_drawn_rule(version: str) -> None:
    protocol = embedded_protocol(version)
    rules = compile_dlt_rules(protocol.dlt)
    after_window = INFUSION + timedelta(days=protocol.dlt.window_days + 1)
    drawn_rules = set()
    for number in range(1, 301):
        subject = simulate_subject(11, number, f"X{number}", protocol, 1 + number % 4, COIN, INFUSION)
        verdict = adjudicate_dlt(safety_record(subject, after_window), rules)
        assert verdict.evaluable is True
        assert verdict.status == ("no_dlt" if subject.dlt_rule is None else "dlt"), subject
        assert verdict.rule == subject.dlt_rule
        drawn_rules.add(subject.dlt_rule)
    simulated = {
        "crs-grade4",
        "crs-grade3-persisting",
        "icans-grade3-persisting",
        "cytopenia-grade4-beyond-window",
    }
    assert drawn_rules == {None, *simulated}


def test_an_interim_record_knows_only_what_happened_by_then() -> None:
    protocol = embedded_protocol()
    rules = compile_dlt_rules(protocol.dlt)
    subjects = (simulate_subject(3, n, f"X{n}", protocol, 4, COIN, INFUSION) for n in range(1, 200))
    subject = next(s for s in subjects if s.dlt_rule == "cytopenia-grade4-beyond-window")
    day_7 = INFUSION + timedelta(days=7)
    interim = safety_record(subject, day_7)
    assert all(event.last_recorded <= day_7.replace(tzinfo=None) for event in interim.adverse_events)
    # grade 4 neutropenia on day 7: the rule about the window's end cannot be decided yet
    verdict = adjudicate_dlt(interim, rules)
    assert (verdict.status, verdict.rule, verdict.evaluable) == ("pending", subject.dlt_rule, None)
    window_end = INFUSION + timedelta(days=protocol.dlt.window_days)
    assert adjudicate_dlt(safety_record(subject, window_end), rules).status == "pending"
    after = adjudicate_dlt(safety_record(subject, window_end + timedelta(hours=1)), rules)
    assert (after.status, after.rule, after.dlt_at) == (
        "dlt",
        subject.dlt_rule,
        window_end.replace(tzinfo=None),
    )


def test_same_seed_same_subject_other_seed_other_subject() -> None:
    protocol = embedded_protocol()
    first = simulate_subject(5, 1, "A", protocol, 2, COIN, INFUSION)
    assert first == simulate_subject(5, 1, "A", protocol, 2, COIN, INFUSION)
    assert first != simulate_subject(6, 1, "A", protocol, 2, COIN, INFUSION)
    assert first != simulate_subject(5, 2, "A", protocol, 2, COIN, INFUSION)


def test_a_safe_dose_draws_no_dlt_and_a_certain_one_always_does() -> None:
    protocol = embedded_protocol()
    extremes = select_scenario("0,0,1,1", 4)
    for number in range(1, 31):
        assert simulate_subject(1, number, "A", protocol, 2, extremes, INFUSION).dlt_rule is None
        assert simulate_subject(1, number, "A", protocol, 3, extremes, INFUSION).dlt_rule is not None


def test_crs_incidence_matches_the_source_within_sampling_error() -> None:
    protocol = embedded_protocol()
    never = select_scenario("0,0,0,0", 4)
    n = 800
    with_crs = sum(
        any(
            e.term == CRS_TERM
            for e in simulate_subject(2, k, "A", protocol, 2, never, INFUSION).adverse_events
        )
        for k in range(1, n + 1)
    )
    sd = math.sqrt(n * CRS_INCIDENCE * (1 - CRS_INCIDENCE))
    assert abs(with_crs - n * CRS_INCIDENCE) < 4 * sd


def test_kinetics_start_below_quantification_and_peak_in_the_second_week() -> None:
    protocol = embedded_protocol()
    peaks = []
    for number in range(1, 61):
        profile = simulate_subject(4, number, "A", protocol, 2, COIN, INFUSION).kinetics
        assert profile.times[0] == 0.0 and profile.blq[0] and profile.values[0] == 0.0
        assert all(v == 0.0 or v >= KINETICS_LLOQ for v in profile.values)
        peaks.append(profile.times[profile.values.index(max(profile.values))])
    assert sorted(peaks)[len(peaks) // 2] in (7.0, 10.0, 14.0)
    assert min(peaks) >= 4.0 and max(peaks) <= 21.0


def test_observed_profile_keeps_the_samples_taken_by_the_cut_off() -> None:
    profile = simulate_subject(4, 1, "A", embedded_protocol(), 2, COIN, INFUSION).kinetics
    observed = observed_profile(profile, 28.0)
    assert observed.times == (0.0, 1.0, 4.0, 7.0, 10.0, 14.0, 21.0, 28.0)
    assert observed.values == profile.values[:8]
    assert observed_profile(profile, 27.9).times[-1] == 21.0


def test_lognormal_sigma_for_a_cv_of_100_percent() -> None:
    assert _lognormal_sigma(1.0) == pytest.approx(math.sqrt(math.log(2.0)), abs=1e-15)


def test_scenarios_by_name_and_custom() -> None:
    assert select_scenario("toxic-at-top", 4).dlt_probabilities == SCENARIOS["toxic-at-top"]
    custom = select_scenario("0,0.1,0.3,1", 4)
    assert (custom.name, custom.dlt_probabilities) == ("custom", (0.0, 0.1, 0.3, 1.0))
    assert custom.dlt_probability(4) == 1.0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0.1,0.2,0.3", "3 probabilities for a protocol with 4 dose levels"),
        ("0.1,0.2,0.3,1.01", "must lie in [0, 1], not 1.01"),
        ("-0.01,0.2,0.3,0.4", "must lie in [0, 1], not -0.01"),
        ("safe-ish", "neither a named scenario"),
    ],
)
def test_bad_scenarios_name_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        select_scenario(text, 4)
    assert caught.value.errors[0].field == "scenario"
    assert reason in caught.value.errors[0].reason
