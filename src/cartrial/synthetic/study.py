"""A seeded virtual study: the true toxicity of each dose, and what happens to each treated subject.

A *scenario* gives the true probability of a DLT at each dose level. For a treated subject the
generator draws, from its own random stream (the study seed and the subject's number), whether a DLT
happens, then the adverse-event courses that say so in the protocol's own terms: a drawn DLT is
written as a course that meets one of the protocol's DLT rules (grade 4 CRS, grade 3 CRS not improving
within 72 h, a grade 4 neutropenia still there when the window ends, ...), and a subject without a DLT
gets courses that meet none (grade 1–2 CRS, brief grade 1 ICANS, neutropenia that recovers inside the
window). Whether a subject had a DLT is then decided where the study decides it: by the safety core,
adjudicating these courses. The subject also gets a CAR transgene profile for the NCA.

Every probability and duration here is an assumption of the simulation unless it cites a source:
the demo shows the software at work, not the product's real safety.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from cartrial.errors import InputError
from cartrial.kinetics import ConcentrationProfile
from cartrial.protocol import DltRuleSpec, Protocol
from cartrial.safety import AdverseEvent, GradeChange, SubjectSafety
from cartrial.safety.events import Action, Category

# --- scenarios

# True DLT probability per dose level (1 = lowest). Simulation assumptions, not literature:
# "registered-safe" is in the spirit of the published escalation of this product in SLE (no DLT at
# 25–100 ×10⁶, Shu et al., EClinicalMedicine 2025); the others are the usual stress tests.
SCENARIOS: dict[str, tuple[float, ...]] = {
    "registered-safe": (0.02, 0.04, 0.08, 0.12),
    "toxic-at-top": (0.05, 0.10, 0.25, 0.65),
    "toxic-from-start": (0.15, 0.55, 0.70, 0.85),
}
DEFAULT_SCENARIO = "registered-safe"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    dlt_probabilities: tuple[float, ...]

    def dlt_probability(self, dose_level: int) -> float:
        return self.dlt_probabilities[dose_level - 1]


def select_scenario(text: str, n_doses: int) -> Scenario:
    """A named scenario, or a custom one written as one probability per dose level: `0.05,0.1,0.3,0.5`."""
    if text in SCENARIOS:
        name, probabilities = text, SCENARIOS[text]
    else:
        try:
            probabilities = tuple(float(part) for part in text.split(","))
        except ValueError:
            names = ", ".join(SCENARIOS)
            raise InputError.single(
                "scenario",
                "scenario",
                f"{text!r} is neither a named scenario ({names}) nor a comma-separated list of probabilities",
            ) from None
        name = "custom"
        bad = [p for p in probabilities if not 0.0 <= p <= 1.0]
        if bad:
            raise InputError.single("scenario", "scenario", f"probabilities must lie in [0, 1], not {bad[0]}")
    if len(probabilities) != n_doses:
        raise InputError.single(
            "scenario",
            "scenario",
            f"{len(probabilities)} probabilities for a protocol with {n_doses} dose levels",
        )
    return Scenario(name, probabilities)


# --- adverse events

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
NEUTROPENIA_TERM = "Neutrophil count decreased"

# Wang et al., J Autoimmun 2025 (CD19 CAR-T in SLE, 50–100 ×10⁶): CRS in 7/8, ICANS in 1/8 patients.
CRS_INCIDENCE = 7 / 8
ICANS_INCIDENCE = 1 / 8
# Assumptions: CRS in SLE is mostly grade 1; almost every patient is neutropenic after fludarabine +
# cyclophosphamide, about half of them to grade 4.
CRS_GRADE_2_SHARE = 0.25
NEUTROPENIA_INCIDENCE = 0.9
NEUTROPENIA_GRADE_4_SHARE = 0.5
# Assumption: how a drawn DLT shows itself, by the kind of rule it meets (kinds not listed — lasting
# non-haematological toxicity, related death — are not simulated).
DLT_KIND_WEIGHTS: dict[str, float] = {
    "crs_grade_at_least": 0.35,
    "crs_not_improving": 0.25,
    "icans_grade_at_least": 0.1,
    "icans_not_improving": 0.1,
    "cytopenia_beyond_window": 0.2,
}
_CRS_KINDS = ("crs_grade_at_least", "crs_not_improving")
_ICANS_KINDS = ("icans_grade_at_least", "icans_not_improving")


def _dlt_rules(protocol: Protocol) -> tuple[DltRuleSpec, ...]:
    """The protocol's DLT rules that a simulated course can meet."""
    rules = tuple(rule for rule in protocol.dlt.rules if rule.kind in DLT_KIND_WEIGHTS)
    if not rules:
        raise InputError.single(
            "protocol",
            "dlt.rules",
            f"none of the kinds the simulation can draw a DLT for ({', '.join(DLT_KIND_WEIGHTS)})",
        )
    return rules


def _parameter(rule: DltRuleSpec, name: str) -> float:
    value = rule.parameters.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InputError.single("protocol", f"dlt.rules.{rule.id}.parameters.{name}", "a number is needed")
    return float(value)


def _ceiling(protocol: Protocol, kinds: tuple[str, ...], usual: int) -> int:
    """The highest grade a course of this syndrome may reach without meeting a DLT rule on any course."""
    grades = [int(_parameter(rule, "grade")) for rule in protocol.dlt.rules if rule.kind in kinds]
    return min([usual, *(grade - 1 for grade in grades)])


@dataclass(frozen=True, slots=True)
class _Course:
    """A grade course in hours from infusion; `resolved` None while ongoing."""

    term: str
    category: Category
    points: tuple[tuple[float, int], ...]
    resolved: float | None
    actions: tuple[Action, ...] = ()


def _steps(start: float, grades_and_gaps: Sequence[tuple[int, float]]) -> tuple[tuple[float, int], ...]:
    """Grades reached one after the other: each (grade, hours until the next change)."""
    points, at = [], start
    for grade, gap in grades_and_gaps:
        points.append((at, grade))
        at += gap
    return tuple(points)


def _hours(rng: np.random.Generator, low: float, high: float) -> float:
    """Whole hours drawn uniformly from [low, high]."""
    return float(rng.integers(int(low), int(high) + 1))


def _crs_actions(peak: int) -> tuple[Action, ...]:
    if peak >= 3:
        return ("tocilizumab", "corticosteroids", "vasopressors")
    return ("tocilizumab",) if peak == 2 else ("antipyretics",)


def _rising(rng: np.random.Generator, peak: int) -> list[tuple[int, float]]:
    """From grade 1 up to `peak`, a few hours per grade."""
    return [(grade, _hours(rng, 6, 18)) for grade in range(1, peak)]


def _syndrome(kind: str) -> tuple[str, Category, float, float]:
    """Term, category and onset range (days from infusion) of the syndrome a rule kind is about."""
    if kind in _CRS_KINDS:
        return CRS_TERM, "crs", 0.5, 4.0  # assumption: CRS onset in the first days
    return ICANS_TERM, "icans", 3.0, 8.0  # assumption: ICANS follows CRS by a few days


def _dlt_course(rng: np.random.Generator, rule: DltRuleSpec, window_days: int) -> _Course:
    """A course that meets `rule`."""
    grade = int(_parameter(rule, "grade"))
    if rule.kind == "cytopenia_beyond_window":
        terms = rule.parameters.get("terms")
        term = terms[0] if isinstance(terms, list) else NEUTROPENIA_TERM
        onset = _hours(rng, 0, 48)
        # still at `grade` when the window closes: recorded so far, not yet resolved
        falls = [(onset, grade - 1), (onset + _hours(rng, 48, 96), grade)] if grade > 1 else [(onset, grade)]
        return _Course(str(term), "haematological", tuple(falls), None, ("g_csf", "antibiotics"))
    term, category, low, high = _syndrome(rule.kind)
    onset = _hours(rng, 24 * low, 24 * high)
    actions: tuple[Action, ...] = _crs_actions(grade) if category == "crs" else ("corticosteroids",)
    if rule.kind.endswith("_grade_at_least"):
        course = [*_rising(rng, grade), (grade, _hours(rng, 12, 48))]
        course += [(g, _hours(rng, 12, 36)) for g in range(min(grade - 1, 2), 0, -1)]
    else:  # not improving to `improve_to` within `within_hours`: stays at `grade` longer than that
        improve_to = int(_parameter(rule, "improve_to"))
        within = _parameter(rule, "within_hours")
        course = [*_rising(rng, grade), (grade, within + _hours(rng, 12, 48))]
        course += [(g, _hours(rng, 12, 36)) for g in range(improve_to, 0, -1)]
    points = _steps(onset, course)
    resolved = points[-1][0] + _hours(rng, 12, 36)
    if resolved > 24 * window_days:
        raise AssertionError("a simulated CRS/ICANS course outlasts the DLT window")
    return _Course(term, category, points, resolved, actions)


def _mild_courses(rng: np.random.Generator, protocol: Protocol) -> list[_Course]:
    """Courses that meet no DLT rule: CRS up to grade 2, brief grade 1 ICANS, neutropenia that recovers."""
    courses: list[_Course] = []
    window_hours = 24.0 * protocol.dlt.window_days
    crs_ceiling = _ceiling(protocol, _CRS_KINDS, 2)
    if crs_ceiling >= 1 and rng.random() < CRS_INCIDENCE:
        peak = min(crs_ceiling, 2 if rng.random() < CRS_GRADE_2_SHARE else 1)
        course = [*_rising(rng, peak), (peak, _hours(rng, 12, 48))]
        course += [(g, _hours(rng, 12, 24)) for g in range(peak - 1, 0, -1)]
        points = _steps(_hours(rng, 12, 96), course)
        courses.append(
            _Course(CRS_TERM, "crs", points, points[-1][0] + _hours(rng, 12, 36), _crs_actions(peak))
        )
    if _ceiling(protocol, _ICANS_KINDS, 1) >= 1 and rng.random() < ICANS_INCIDENCE:
        onset = _hours(rng, 72, 192)
        courses.append(_Course(ICANS_TERM, "icans", ((onset, 1),), onset + _hours(rng, 12, 48)))
    if rng.random() < NEUTROPENIA_INCIDENCE:
        nadir = 4 if rng.random() < NEUTROPENIA_GRADE_4_SHARE else 3
        onset = _hours(rng, 0, 48)
        falls = [(onset, 3)]
        if nadir == 4:
            falls.append((onset + _hours(rng, 24, 72), 4))
        # back to grade 2 in the second or third week, resolved two days before the window closes at latest
        recovered = min(max(_hours(rng, 24 * 7, 24 * 16), falls[-1][0] + 24), window_hours - 96)
        falls.append((recovered, 2))
        resolved = min(recovered + _hours(rng, 48, 24 * 8), window_hours - 48)
        courses.append(_Course(NEUTROPENIA_TERM, "haematological", tuple(falls), resolved, ("g_csf",)))
    return courses


def _event(number: int, course: _Course, infusion_at: datetime) -> AdverseEvent:
    def moment(hours: float) -> datetime:
        return infusion_at + timedelta(hours=hours)

    peak = max(grade for _, grade in course.points)
    haematological = course.category == "haematological"
    return AdverseEvent(
        id=f"AE-{number}",
        term=course.term,
        category=course.category,
        onset=moment(course.points[0][0]),
        grades=tuple(GradeChange(at=moment(at), grade=grade) for at, grade in course.points),
        resolution=None if course.resolved is None else moment(course.resolved),
        serious=peak >= 3 and not haematological,
        related_to_product="possible" if haematological else "definite",
        related_to_lymphodepletion="probable" if haematological else "unlikely",
        actions=course.actions,
    )


# --- kinetics

# Assumptions for the CAR transgene (copies/µg genomic DNA): a median peak of 3×10⁴ at the start
# dose of 25×10⁶ cells, less than dose-proportional above it; the peak on day 7–14 (CD19 CAR-T in
# SLE expands to a peak in the second week, Mackensen et al., Nat Med 2022); a fast decline and a slow
# persistence phase; lognormal between-subject variability and a multiplicative assay error.
KINETICS_REFERENCE_CELLS = 25_000_000
KINETICS_MEDIAN_CMAX = 3.0e4
KINETICS_DOSE_EXPONENT = 0.6
KINETICS_CMAX_CV = 1.0
KINETICS_TMAX_DAYS = (7, 14)
KINETICS_RISE_FOLD = 1000.0  # peak over the level just after infusion
KINETICS_FAST_HALF_LIFE_DAYS = 4.0
KINETICS_SLOW_HALF_LIFE_DAYS = 60.0
KINETICS_FAST_FRACTION = 0.95
KINETICS_HALF_LIFE_CV = 0.3
KINETICS_ASSAY_CV = 0.25
KINETICS_LLOQ = 50.0


def _lognormal_sigma(cv: float) -> float:
    """The σ of log X for a lognormal X with coefficient of variation `cv`."""
    return math.sqrt(math.log1p(cv * cv))


def simulate_kinetics(
    rng: np.random.Generator, label: str, car_t_cells: int, sample_days: Sequence[int]
) -> ConcentrationProfile:
    """Transgene levels on the sampling days (day 0 is the pre-infusion sample, below quantification)."""
    dose_factor = (car_t_cells / KINETICS_REFERENCE_CELLS) ** KINETICS_DOSE_EXPONENT
    cmax = KINETICS_MEDIAN_CMAX * dose_factor * math.exp(rng.normal(0.0, _lognormal_sigma(KINETICS_CMAX_CV)))
    tmax = float(rng.uniform(*KINETICS_TMAX_DAYS))
    spread = _lognormal_sigma(KINETICS_HALF_LIFE_CV)
    fast = math.log(2) / (KINETICS_FAST_HALF_LIFE_DAYS * math.exp(rng.normal(0.0, spread)))
    slow = math.log(2) / (KINETICS_SLOW_HALF_LIFE_DAYS * math.exp(rng.normal(0.0, spread)))
    rise = math.log(KINETICS_RISE_FOLD) / tmax
    values: list[float] = []
    for day in sample_days:
        if day <= 0:
            level = 0.0
        elif day <= tmax:
            level = cmax * math.exp(-rise * (tmax - day))
        else:
            after = day - tmax
            level = cmax * (
                KINETICS_FAST_FRACTION * math.exp(-fast * after)
                + (1 - KINETICS_FAST_FRACTION) * math.exp(-slow * after)
            )
        values.append(level * math.exp(rng.normal(0.0, _lognormal_sigma(KINETICS_ASSAY_CV))))
    blq = tuple(value < KINETICS_LLOQ for value in values)
    return ConcentrationProfile(
        subject=label,
        dose=float(car_t_cells),
        times=tuple(float(day) for day in sample_days),
        values=tuple(0.0 if below else round(value, 1) for value, below in zip(values, blq, strict=True)),
        blq=blq,
        lloq=(KINETICS_LLOQ,) * len(values),
    )


def observed_profile(profile: ConcentrationProfile, until_day: float) -> ConcentrationProfile:
    """The samples taken by `until_day` (days from infusion)."""
    keep = [i for i, day in enumerate(profile.times) if day <= until_day]
    return ConcentrationProfile(
        subject=profile.subject,
        dose=profile.dose,
        times=tuple(profile.times[i] for i in keep),
        values=tuple(profile.values[i] for i in keep),
        blq=tuple(profile.blq[i] for i in keep),
        lloq=tuple(profile.lloq[i] for i in keep),
    )


# --- subjects

# Random streams: each subject's draws come from (seed, stream, subject number), so a subject's fate
# does not depend on what was drawn for anyone else.
SUBJECT_STREAM = 1


@dataclass(frozen=True, slots=True)
class SimulatedSubject:
    """What happens to one treated subject: its adverse events and its transgene profile.

    `dlt_rule` names the protocol rule the drawn DLT was shaped to meet (None: no DLT drawn); the study
    learns about DLTs only from the safety core's adjudication of `adverse_events`.
    """

    label: str
    dose_level: int
    infusion_at: datetime
    dlt_rule: str | None
    adverse_events: tuple[AdverseEvent, ...]
    kinetics: ConcentrationProfile


def sample_days(protocol: Protocol) -> tuple[int, ...]:
    """Kinetic samples at the scheduled visits from infusion (day 0, before it) onwards."""
    return tuple(v.day for v in protocol.schedule.visits if v.day is not None and v.day >= 0)


def simulate_subject(
    seed: int,
    number: int,
    label: str,
    protocol: Protocol,
    dose_level: int,
    scenario: Scenario,
    infusion_at: datetime,
) -> SimulatedSubject:
    """Subject `number` (1, 2, ... in order of treatment) of the study `seed`, treated at `dose_level`."""
    rng = np.random.default_rng([seed, SUBJECT_STREAM, number])
    rules = _dlt_rules(protocol)
    has_dlt = bool(rng.random() < scenario.dlt_probability(dose_level))
    courses = _mild_courses(rng, protocol)
    rule_id: str | None = None
    if has_dlt:
        weights = np.array([DLT_KIND_WEIGHTS[rule.kind] for rule in rules])
        rule = rules[int(rng.choice(len(rules), p=weights / weights.sum()))]
        rule_id = rule.id
        drawn = _dlt_course(rng, rule, protocol.dlt.window_days)
        # the DLT course replaces a mild course of the same syndrome
        courses = [c for c in courses if c.term != drawn.term] + [drawn]
    courses.sort(key=lambda c: c.points[0][0])
    events = tuple(_event(i, course, infusion_at) for i, course in enumerate(courses, start=1))
    cells = protocol.dose_level(dose_level).car_t_cells
    kinetics = simulate_kinetics(rng, label, cells, sample_days(protocol))
    return SimulatedSubject(label, dose_level, infusion_at, rule_id, events, kinetics)


def _known_by(event: AdverseEvent, moment: datetime) -> AdverseEvent | None:
    """The event as recorded at `moment`: later grade changes and a later resolution not yet known."""
    if moment.tzinfo is not None:  # the safety core keeps instants as naive UTC
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if event.onset > moment:
        return None
    if event.last_recorded <= moment:
        return event
    grades = tuple(change for change in event.grades if change.at <= moment)
    return event.model_copy(update={"grades": grades, "resolution": None})


def safety_record(subject: SimulatedSubject, evaluation_at: datetime) -> SubjectSafety:
    """The subject's safety record at the data cut-off `evaluation_at` (the DLT adjudication's input)."""
    known = (_known_by(event, evaluation_at) for event in subject.adverse_events)
    return SubjectSafety(
        subject_id=subject.label,
        dose_level=subject.dose_level,
        infused_at_assigned_dose=True,
        infusion_at=subject.infusion_at,
        evaluation_at=evaluation_at,
        adverse_events=tuple(event for event in known if event is not None),
    )
