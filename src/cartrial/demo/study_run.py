"""Run a virtual study through the services: sites, staff, screening, SRC decisions, enrollment,
treatment, DLT adjudication, until the design stops and the RP2D is named.

Everything happens on a simulated clock: events (a screening, an enrollment, a leukapheresis, an
infusion, a DLT assessment, an SRC review) wait in a queue ordered by their moment and are carried out
one by one, each as one service call in its own transaction, with that moment as `now`. The clock's
steps come from the seed, so the same seed gives the same study. What happens to a treated subject
comes from `cartrial.synthetic.study`; what the study makes of it (DLT or not, the next dose) is decided
by the services, that is by the safety core and the escalation design, as in the real study.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cartrial.data import embedded_protocol
from cartrial.eligibility import ScreeningResult, Verdict
from cartrial.errors import InputError
from cartrial.escalation import select_mtd, settings_from_protocol, summarise_outcomes
from cartrial.kinetics import ConcentrationProfile, Interval, calculate_nca, summarise_by_dose
from cartrial.protocol import Protocol
from cartrial.services.access import Permission, Principal, Role, require
from cartrial.services.accounts import add_site, add_user, authenticate
from cartrial.services.dosing import (
    cohort_of,
    enroll,
    recommend,
    record_dlt_assessment,
    record_infusion,
    record_milestone,
    sign_src_decision,
)
from cartrial.services.errors import ConflictError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.protocols import (
    activate_protocol,
    current_protocol_ref,
    prepare_store,
    stored_protocol,
)
from cartrial.services.reads import CohortSummaryView, ConsortView, DltAssessmentView, study_summary
from cartrial.services.screening import screen_candidate
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR, verify_chain
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from cartrial.synthetic.candidates import generate_candidates
from cartrial.synthetic.study import (
    CRS_TERM,
    ICANS_TERM,
    NEUTROPENIA_TERM,
    Scenario,
    SimulatedSubject,
    observed_profile,
    safety_record,
    simulate_subject,
)

DEMO_DATABASE_FILE = "cartrial-demo.sqlite"
DEMO_DATABASE_URL = f"sqlite:///{DEMO_DATABASE_FILE}"
DEMO_STUDY_SEED = 20261102
DEMO_POOL_SIZE = 120
# A demo account's password: these accounts exist only in the demo's own database.
DEMO_PASSWORD = "virtual-study-only"
STUDY_START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in China (UTC+8)
SITES = (
    ("S01", "Site 01 (virtual)"),
    ("S02", "Site 02 (virtual)"),
    ("S03", "Site 03 (virtual)"),
)
# username, the name shown with signatures and records, role, site
STAFF: tuple[tuple[str, str, Role, str | None], ...] = (
    *(
        (f"{prefix}-{site.lower()}", f"{title} {site}", role, site)
        for site, _ in SITES
        for prefix, title, role in (
            ("inv", "Investigator", Role.INVESTIGATOR),
            ("coo", "Coordinator", Role.COORDINATOR),
        )
    ),
    ("src-chair", "SRC chair", Role.SRC_MEMBER, None),
    ("statistician", "Study statistician", Role.STATISTICIAN, None),
    ("monitor", "Study monitor", Role.MONITOR, None),
)

# Conduct assumptions (clinical.md §11 gives the flow, not these durations): enrollment the day after an
# eligible screening, leukapheresis a few days later, three weeks of manufacturing from leukapheresis to
# infusion, an interim safety review a week after infusion, the DLT assessment the day after the window
# closes, and the SRC meeting a few days after the last assessment of a cohort.
SCREENING_GAP_HOURS = (4, 30)
ENROLLMENT_DELAY_DAYS = 1
LEUKAPHERESIS_DELAY_DAYS = (2, 6)
MANUFACTURING_DAYS = 21
INTERIM_REVIEW_DAY = 7
ASSESSMENT_DELAY_DAYS = 1
SRC_MEETING_DELAY_DAYS = (2, 5)
ENROLLMENT_RETRY_DAYS = 7
ENROLLMENT_RETRIES = 8  # an eligible candidate waits about two months for a slot, then is let go
CLINIC_HOURS_UTC = (1, 9)  # 09:00–17:00 in China
SHORT_TERMS = {CRS_TERM: "CRS", ICANS_TERM: "ICANS", NEUTROPENIA_TERM: "neutropenia"}
# The random stream that paces the clock (subjects have their own, see cartrial.synthetic.study).
CLOCK_STREAM = 2


# --- the summary


@dataclass(frozen=True, slots=True)
class CohortRow:
    number: int
    dose_level: int
    dose_label: str
    car_t_cells: int
    enrolled: int
    evaluable: int
    dlts: int
    pending: int
    src_decision: str | None
    """The action of the SRC decision that reviewed the cohort; None until one has."""


@dataclass(frozen=True, slots=True)
class DltRow:
    subject: str
    site: str
    cohort: int
    dose_label: str
    rule: str
    day: float
    """Days from infusion to the moment the rule was met."""


@dataclass(frozen=True, slots=True)
class DecisionRow:
    after_cohort: int | None
    action: str
    next_dose_label: str | None
    reason: str
    signer: str
    study_day: int


@dataclass(frozen=True, slots=True)
class KineticsRow:
    """Transgene NCA over the DLT window by dose: geometric means with geometric CV%, median Tmax."""

    dose_label: str
    car_t_cells: int
    n: int
    cmax_geometric_mean: float | None
    cmax_geometric_cv: float | None
    tmax_median: float | None
    auc_geometric_mean: float | None
    auc_geometric_cv: float | None


@dataclass(frozen=True, slots=True)
class StudySummary:
    seed: int
    scenario: Scenario
    protocol_ref: str
    design: str
    consort: tuple[tuple[str, int], ...]
    cohorts: tuple[CohortRow, ...]
    dlts: tuple[DltRow, ...]
    decisions: tuple[DecisionRow, ...]
    end_reason: str
    rp2d: str | None
    rp2d_level: int | None
    kinetics: tuple[KineticsRow, ...]
    nca_window_days: int
    study_days: int
    audit_entries: int
    audit_problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StudyRun:
    summary: StudySummary
    screenings: tuple[ScreeningResult, ...]


StoryKind = Literal["setup", "screen", "enroll", "treat", "safety", "src", "end"]


@dataclass(frozen=True, slots=True)
class StoryLine:
    """One thing that happened, for the narrator."""

    at: datetime
    study_day: int
    kind: StoryKind
    text: str


Narrator = Callable[[StoryLine], None]


@dataclass(frozen=True, slots=True)
class StudyOptions:
    scenario: Scenario
    seed: int = DEMO_STUDY_SEED
    protocol_version: str | None = None
    pool_size: int = DEMO_POOL_SIZE
    max_subjects: int | None = None


# --- the database


def prepare_database(url: str, overwrite: bool) -> None:
    """A new, empty SQLite file at `url`: an existing one is removed only when `overwrite`, else refused.

    Other databases (PostgreSQL) must be empty: the setup is refused if an account exists already.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    if path.exists() and not overwrite:
        raise InputError.single(
            "--database-url", "database", f"{path} exists; the demo writes a new study and will not touch it"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- the run


@dataclass
class _Subject:
    label: str
    site: str
    cohort: int = 0
    dose_level: int = 0
    infused: SimulatedSubject | None = None
    final_status: str | None = None
    final_rule: str | None = None
    dlt_day: float | None = None
    refusals: int = 0


@dataclass
class _Cohort:
    number: int
    dose_level: int
    size: int
    subjects: list[int] = field(default_factory=list)
    eligible_found: int = 0
    assessed: int = 0


Event = tuple[datetime, int, str, int]


class _Study:
    """The state of one run: the clock, the event queue, and what the services have answered so far."""

    def __init__(self, sessions: sessionmaker[Session], options: StudyOptions, tell: Narrator) -> None:
        self.sessions = sessions
        self.options = options
        self.tell_line = tell
        self.clock_rng = np.random.default_rng([options.seed, CLOCK_STREAM])
        self.now = STUDY_START
        self.queue: list[Event] = []
        self.sequence = 0
        self.users: dict[str, Principal] = {}
        self.pool = generate_candidates(options.pool_size, options.seed, STUDY_START.date())
        self.next_candidate = 0
        self.screenings: list[ScreeningResult] = []
        self.subjects: dict[int, _Subject] = {}
        self.cohorts: dict[int, _Cohort] = {}
        self.decisions: list[DecisionRow] = []
        self.treated = 0
        self.end_reason = ""
        self.protocol: Protocol

    # clock and narration

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def study_day(self, moment: datetime) -> int:
        return (moment.date() - STUDY_START.date()).days

    def tell(self, kind: StoryKind, text: str) -> None:
        self.tell_line(StoryLine(self.now, self.study_day(self.now), kind, text))

    def later(self, days: int) -> datetime:
        """A moment in clinic hours `days` days from now (an hour from now at the soonest)."""
        day = self.now.date() + timedelta(days=days)
        hour = int(self.clock_rng.integers(*CLINIC_HOURS_UTC))
        moment = datetime.combine(day, time(hour, int(self.clock_rng.integers(0, 60))), tzinfo=UTC)
        return max(moment, self.now + timedelta(hours=1))

    def draw(self, bounds: tuple[int, int]) -> int:
        """A whole number drawn uniformly from `bounds`, both ends included."""
        return int(self.clock_rng.integers(bounds[0], bounds[1] + 1))

    def schedule(self, at: datetime, what: str, target: int = 0) -> None:
        """Run `on_<what>(target)` at `at` (a subject id, or a cohort number); ties run in order scheduled."""
        self.sequence += 1
        heapq.heappush(self.queue, (at, self.sequence, what, target))

    def label(self, level: int) -> str:
        return self.protocol.dose_level(level).describe()

    # setup

    def set_up(self) -> None:
        """Protocols, the administrator, the sites and their staff: one service call per transaction."""
        with self.uow() as uow:
            active = prepare_store(uow, self.now)
            uow.commit()
        with self.uow() as uow:
            add_user(
                uow, SYSTEM_ACTOR, "admin", "Study administrator", DEMO_PASSWORD, Role.ADMIN, None, self.now
            )
            uow.commit()
        actor = require(self.log_in("admin"), Permission.MANAGE_ACCOUNTS)
        if self.options.protocol_version is not None:
            ref = embedded_protocol(self.options.protocol_version).ref
            if ref != active:
                # the active version is the one activated last: not in the same instant as the first
                self.now += timedelta(minutes=1)
                with self.uow() as uow:
                    activate_protocol(uow, actor, ref, "the demo runs this version", self.now)
                    uow.commit()
        for site_id, name in SITES:
            with self.uow() as uow:
                add_site(uow, actor, site_id, name, self.now)
                uow.commit()
        for username, display, role, site in STAFF:
            with self.uow() as uow:
                add_user(uow, actor, username, display, DEMO_PASSWORD, role, site, self.now)
                uow.commit()
            if role is not Role.MONITOR:  # the monitor reads the finished study; the others act in it
                self.log_in(username)
        with self.uow() as uow:  # the version the services use from now on
            self.protocol = stored_protocol(uow, current_protocol_ref(uow))
        design = self.protocol.design
        self.tell(
            "setup",
            f"{self.protocol.ref}: {len(SITES)} sites, {len(STAFF) + 1} accounts; design {design.name}, "
            f"cohorts of {design.cohort_size}; scenario {self.options.scenario.name} "
            f"(true DLT rates {', '.join(f'{p:g}' for p in self.options.scenario.dlt_probabilities)})",
        )

    def log_in(self, username: str) -> Principal:
        with self.uow() as uow:
            principal = authenticate(uow, username, DEMO_PASSWORD, self.now)
            uow.commit()
        self.users[username] = principal
        return principal

    # events

    def run(self) -> None:
        self.schedule(self.later(1), "src")
        while self.queue:
            at, _, what, target = heapq.heappop(self.queue)
            self.now = at
            getattr(self, f"on_{what}")(target)
        if not self.end_reason:
            self.end_reason = "the candidate pool is exhausted before the cohort could be filled"
            self.tell("end", f"Study ends: {self.end_reason}")

    def on_src(self, reviewed: int) -> None:
        """The SRC signs the design's recommendation — or, at the maximum sample size, a stop."""
        maximum = self.options.max_subjects or self.protocol.design.max_subjects
        at_maximum = maximum is not None and self.treated + self.protocol.design.cohort_size > maximum
        rationale = f"the maximum of {maximum} subjects is reached" if at_maximum else None
        with self.uow() as uow:
            decision = sign_src_decision(
                uow,
                self.users["src-chair"],
                DEMO_PASSWORD,
                "approved",
                self.now,
                stop=at_maximum,
                rationale=rationale,
            )
            uow.commit()
        recommended = str(decision.recommendation["reason"])
        reason = recommended if rationale is None else f"{rationale} (the design: {recommended})"
        next_label = None if decision.next_dose is None else self.label(decision.next_dose)
        self.decisions.append(
            DecisionRow(
                reviewed or None,
                decision.action,
                next_label,
                reason,
                decision.signer_name,
                self.study_day(self.now),
            )
        )
        signed = f"SRC ({decision.signer_name}, e-signed '{decision.signature_meaning}')"
        if decision.action == "stop":
            self.end_reason = reason
            self.tell("src", f"{signed}: stop — {reason}")
            return
        assert decision.next_dose is not None
        number = reviewed + 1
        with self.uow() as uow:
            size = cohort_of(uow, number).size
        self.cohorts[number] = _Cohort(number, decision.next_dose, size)
        self.tell("src", f"{signed}: {decision.action} — {reason}; cohort {number} opens at {next_label}")
        self.schedule(self.later(1), "screen", number)

    def on_screen(self, cohort_number: int) -> None:
        if self.next_candidate >= len(self.pool):
            return
        record = dict(self.pool[self.next_candidate])
        self.next_candidate += 1
        shift = (self.now.date() - STUDY_START.date()).days
        record = _shift_dates(record, shift)
        site = str(record["site_id"])
        with self.uow() as uow:
            outcome = screen_candidate(
                uow, self.users[f"coo-{site.lower()}"], site, json.dumps(record), self.now
            )
            uow.commit()
        self.screenings.append(outcome.result)
        cohort = self.cohorts[cohort_number]
        verdict = outcome.result.verdict
        if verdict is Verdict.ELIGIBLE:
            cohort.eligible_found += 1
            self.subjects[outcome.subject_id] = _Subject(outcome.screening_id, site)
            self.schedule(self.later(ENROLLMENT_DELAY_DAYS), "enroll", outcome.subject_id)
        failed = ", ".join(c.id for c in outcome.result.failed)
        detail = f" ({failed})" if failed else ""
        self.tell("screen", f"{site} screens {outcome.screening_id}: {verdict.value}{detail}")
        if cohort.eligible_found < cohort.size:
            gap = timedelta(hours=self.draw(SCREENING_GAP_HOURS))
            self.schedule(self.now + gap, "screen", cohort_number)

    def on_enroll(self, subject_id: int) -> None:
        subject = self.subjects[subject_id]
        try:
            with self.uow() as uow:
                enrollment = enroll(uow, self.users[f"inv-{subject.site.lower()}"], subject_id, self.now)
                uow.commit()
        except ConflictError as refusal:
            subject.refusals += 1
            if subject.refusals > ENROLLMENT_RETRIES:
                self.tell("enroll", f"{subject.label} not enrolled: {refusal}")
                return
            self.tell("enroll", f"{subject.label} not enrolled yet: {refusal}")
            self.schedule(self.later(ENROLLMENT_RETRY_DAYS), "enroll", subject_id)
            return
        number = max(self.cohorts)
        subject.cohort, subject.dose_level = number, enrollment.dose_level
        self.cohorts[number].subjects.append(subject_id)
        self.treated += 1
        self.tell(
            "enroll",
            f"{subject.label} enrolled: cohort {number}, slot {enrollment.slot}, "
            f"{self.label(enrollment.dose_level)}",
        )
        self.schedule(self.later(self.draw(LEUKAPHERESIS_DELAY_DAYS)), "leukapheresis", subject_id)

    def milestone(self, subject_id: int, status: SubjectStatus) -> None:
        subject = self.subjects[subject_id]
        with self.uow() as uow:
            record_milestone(
                uow, self.users[f"coo-{subject.site.lower()}"], subject_id, status, self.now.date(), self.now
            )
            uow.commit()

    def on_leukapheresis(self, subject_id: int) -> None:
        self.milestone(subject_id, SubjectStatus.LEUKAPHERESIS)
        self.schedule(
            self.later(MANUFACTURING_DAYS + self.lymphodepletion_day()), "lymphodepletion", subject_id
        )

    def lymphodepletion_day(self) -> int:
        """The first lymphodepletion day of the schedule (negative: before the infusion)."""
        days = [v.day for v in self.protocol.schedule.visits if v.day is not None and v.day < 0]
        return min(days, default=-5)

    def on_lymphodepletion(self, subject_id: int) -> None:
        self.milestone(subject_id, SubjectStatus.LYMPHODEPLETION)
        self.schedule(self.later(-self.lymphodepletion_day()), "infusion", subject_id)

    def on_infusion(self, subject_id: int) -> None:
        subject = self.subjects[subject_id]
        cells = self.protocol.dose_level(subject.dose_level).car_t_cells
        with self.uow() as uow:
            record_infusion(
                uow, self.users[f"inv-{subject.site.lower()}"], subject_id, self.now.date(), cells, self.now
            )
            uow.commit()
        number = sum(1 for s in self.subjects.values() if s.infused is not None) + 1
        subject.infused = simulate_subject(
            self.options.seed,
            number,
            subject.label,
            self.protocol,
            subject.dose_level,
            self.options.scenario,
            self.now,
        )
        self.tell("treat", f"{subject.label} infused with {cells / 1e6:g}×10⁶ CAR+ T cells (day 0)")
        self.schedule(self.now + timedelta(days=INTERIM_REVIEW_DAY), "interim", subject_id)
        window = timedelta(days=self.protocol.dlt.window_days + ASSESSMENT_DELAY_DAYS)
        self.schedule(self.now + window, "assessment", subject_id)

    def assess(self, subject_id: int) -> DltAssessmentView:
        subject = self.subjects[subject_id]
        assert subject.infused is not None
        record = safety_record(subject.infused, self.now)
        with self.uow() as uow:
            row = record_dlt_assessment(
                uow, self.users[f"inv-{subject.site.lower()}"], subject_id, record.model_dump_json(), self.now
            )
            uow.commit()
        worst: dict[str, int] = {}
        for event in record.adverse_events:
            name = SHORT_TERMS.get(event.term, event.term)
            worst[name] = max(worst.get(name, 0), max(change.grade for change in event.grades))
        seen = ", ".join(f"{name} G{grade}" for name, grade in worst.items()) or "no adverse events"
        if row.status == "dlt":
            verdict = f"DLT ({row.rule})"
        elif row.rule:
            verdict = f"pending ({row.rule} undecided)"
        else:
            verdict = row.status.replace("_", " ")
        day = (self.now - subject.infused.infusion_at).days
        self.tell("safety", f"{subject.label} day {day}: {seen} → {verdict}")
        return row

    def on_interim(self, subject_id: int) -> None:
        self.assess(subject_id)

    def on_assessment(self, subject_id: int) -> None:
        subject = self.subjects[subject_id]
        row = self.assess(subject_id)
        subject.final_status, subject.final_rule = row.status, row.rule
        dlt_at = row.result["dlt_at"]
        if dlt_at is not None and subject.infused is not None:
            infusion = subject.infused.infusion_at.replace(tzinfo=None)
            subject.dlt_day = (datetime.fromisoformat(dlt_at) - infusion) / timedelta(days=1)
        cohort = self.cohorts[subject.cohort]
        cohort.assessed += 1
        if cohort.assessed == cohort.size:
            self.schedule(self.later(self.draw(SRC_MEETING_DELAY_DAYS)), "src", cohort.number)

    # the end

    def summarise(self) -> StudySummary:
        with UnitOfWork(self.sessions, read_only=True) as uow:
            recommendation = recommend(uow, self.users["statistician"])
            counted = study_summary(uow, self.users["statistician"])
        settings = settings_from_protocol(self.protocol)
        outcomes = summarise_outcomes(recommendation.state, len(self.protocol.dose_levels))
        mtd = select_mtd(outcomes, settings).mtd
        with self.sessions() as session:
            checked, problems = verify_chain(session)
        return StudySummary(
            seed=self.options.seed,
            scenario=self.options.scenario,
            protocol_ref=self.protocol.ref,
            design=self.protocol.design.name,
            consort=_consort(counted.consort),
            cohorts=tuple(self.cohort_row(c) for c in counted.cohorts if c.patients),
            dlts=tuple(
                DltRow(
                    s.label,
                    s.site,
                    s.cohort,
                    self.label(s.dose_level),
                    s.final_rule or "",
                    s.dlt_day or 0.0,
                )
                for s in self.subjects.values()
                if s.final_status == "dlt"
            ),
            decisions=tuple(self.decisions),
            end_reason=self.end_reason,
            rp2d=None if mtd is None else self.label(mtd),
            rp2d_level=mtd,
            kinetics=self.kinetics(),
            nca_window_days=self.protocol.dlt.window_days,
            study_days=self.study_day(self.now),
            audit_entries=checked,
            audit_problems=tuple(str(p) for p in problems),
        )

    def cohort_row(self, cohort: CohortSummaryView) -> CohortRow:
        dose = self.protocol.dose_level(cohort.dose_level)
        return CohortRow(
            cohort.number,
            cohort.dose_level,
            dose.label,
            dose.car_t_cells,
            cohort.patients,
            cohort.evaluable,
            cohort.dlts,
            cohort.pending,
            cohort.src_decision,
        )

    def kinetics(self) -> tuple[KineticsRow, ...]:
        profiles: list[ConcentrationProfile] = []
        for subject in self.subjects.values():
            if subject.infused is not None:
                observed = (self.now - subject.infused.infusion_at) / timedelta(days=1)
                profiles.append(observed_profile(subject.infused.kinetics, observed))
        if not profiles:
            return ()
        interval = Interval(0.0, float(self.protocol.dlt.window_days))
        stats = {
            (s.dose, s.testcd): s for s in summarise_by_dose(calculate_nca(profiles, [interval]), [interval])
        }
        rows = []
        for level in self.protocol.dose_levels:
            cells = float(level.car_t_cells)
            if (cells, "CMAX") not in stats:
                continue
            cmax, tmax, auc = stats[cells, "CMAX"], stats[cells, "TMAX"], stats[cells, "AUCINT"]
            rows.append(
                KineticsRow(
                    level.label,
                    level.car_t_cells,
                    cmax.n,
                    cmax.geometric_mean,
                    cmax.geometric_cv_percent,
                    tmax.median,
                    auc.geometric_mean,
                    auc.geometric_cv_percent,
                )
            )
        return tuple(rows)


def _consort(counts: ConsortView) -> tuple[tuple[str, int], ...]:
    """The subject flow as the demo prints it, from the study summary the services count."""
    return (
        ("screened", counts.screened),
        ("screen failures (ineligible)", counts.screen_failures),
        ("screening incomplete", counts.screening_incomplete),
        ("eligible", counts.eligible),
        ("eligible, not enrolled", counts.eligible - counts.enrolled),
        ("enrolled", counts.enrolled),
        ("infused", counts.infused),
        ("DLT-evaluable", counts.completed_dlt_window),
        ("with a DLT", counts.with_dlt),
        ("withdrawn", counts.withdrawn),
        ("died", counts.died),
    )


def _shift_dates(value: Any, days: int) -> Any:
    """Every ISO date in a screening record moved by `days`: the candidate is screened on a later day."""
    if isinstance(value, dict):
        return {key: _shift_dates(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift_dates(item, days) for item in value]
    if isinstance(value, str) and len(value) == 10:
        try:
            return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
        except ValueError:
            return value
    return value


def run_study(url: str, options: StudyOptions, tell: Narrator) -> StudyRun:
    """Run the whole study on the (new, empty) database at `url` and summarise it."""
    upgrade(url)
    engine = make_engine(url)
    try:
        study = _Study(session_factory(engine), options, tell)
        study.set_up()
        study.run()
        summary = study.summarise()
    finally:
        engine.dispose()
    return StudyRun(summary, tuple(study.screenings))
