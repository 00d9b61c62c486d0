"""The study summary (CONSORT counts and the cohort table) counted from the store, by hand, at each
boundary: the latest screening and the latest DLT assessment count, site staff see their own site."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cartrial.demo.study_run import StudyOptions, prepare_database, run_study
from cartrial.services.dosing import record_dlt_assessment, record_milestone
from cartrial.services.errors import ForbiddenError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.reads import (
    CohortSummaryView,
    ConsortView,
    ScreenFailureReasonView,
    StudySummaryView,
    list_subjects,
    study_summary,
)
from cartrial.services.screening import correct_screening, screen_candidate
from cartrial.synthetic.study import select_scenario
from tests.services.conftest import NOW, Study
from tests.services.test_clinical_service import crs
from tests.services.test_dosing_service import EXAMPLE, candidate, enroll_subject, safety, src_signs, treat

CHILD = {"birth_date": "2012-01-01"}  # fails inc-2-age
QUIET = {
    "sledai": {**EXAMPLE["sledai"], "descriptors": dict.fromkeys(EXAMPLE["sledai"]["descriptors"], False)}
}
AGE = ("inc-2-age", "Age 18-70 years at ICF signature")
SLEDAI = ("inc-6-sledai", "SELENA-SLEDAI >= 8 (clinical >= 6 if serology scored)")


def screened(study: Study, site: str, number: int, user: str, **changes: object) -> int:
    record = EXAMPLE | {"screening_id": f"{site}-{number:04d}", "site_id": site} | changes
    with study.uow() as uow:
        outcome = screen_candidate(uow, study.users[user], site, json.dumps(record), NOW)
        uow.commit()
    return outcome.subject_id


def summary_for(study: Study, user: str) -> StudySummaryView:
    with study.uow() as uow:
        return study_summary(uow, study.users[user])


@pytest.fixture
def flow(study: Study) -> Study:
    """S01: three enrolled (one followed through the window, one still inside it, one withdrawn before
    infusion), a screen failure on two criteria, a screen failure corrected to eligible and not enrolled.
    S02: a screen failure on one criterion and an incomplete screening."""
    enrolled = [candidate(study, n) for n in range(1, 4)]
    failed = screened(study, "S01", 4, "inv1", **CHILD, **QUIET)
    corrected = screened(study, "S01", 5, "inv1", **CHILD)
    with study.uow() as uow:
        record = EXAMPLE | {"screening_id": "S01-0005", "site_id": "S01"}
        correct_screening(uow, study.users["inv1"], corrected, json.dumps(record), "age re-checked", NOW)
        uow.commit()
    screened(study, "S02", 1, "coord2", **CHILD)
    screened(study, "S02", 2, "coord2", serology=[])
    src_signs(study)
    for subject in enrolled:
        enroll_subject(study, subject)
    infused = date(2026, 10, 1)
    assert treat(study, enrolled[0], infused, datetime(2026, 10, 30, tzinfo=UTC)) == "no_dlt"
    assert treat(study, enrolled[1], infused, datetime(2026, 10, 10, tzinfo=UTC)) == "pending"
    with study.uow() as uow:
        record_milestone(
            uow, study.users["inv1"], enrolled[2], SubjectStatus.WITHDRAWN, date(2026, 9, 1), NOW
        )
        uow.commit()
    assert failed
    return study


def test_consort_counts_every_subject_at_its_latest_screening_and_assessment(flow: Study) -> None:
    summary = summary_for(flow, "monitor")
    assert summary.sites is None
    assert summary.consort == ConsortView(
        screened=7,
        screen_failures=2,
        screen_failure_reasons=(
            ScreenFailureReasonView(*AGE, 2),  # S01-0004 and S02-0001; S01-0005 was corrected
            ScreenFailureReasonView(*SLEDAI, 1),
        ),
        screening_incomplete=1,
        eligible=4,
        enrolled=3,
        infused=2,
        completed_dlt_window=1,
        with_dlt=0,
        withdrawn=1,
        died=0,
    )
    # Cohort 1 (DL2) is full and not yet reviewed: the SRC decision that opened it reviewed no cohort.
    # Pending: the subject inside the window and the one withdrawn before infusion (not yet judged).
    assert summary.cohorts == (CohortSummaryView(1, 2, 3, "full", 3, 1, 0, 2, None, None),)


def test_site_staff_see_their_own_site_counted_and_the_admin_nothing(flow: Study) -> None:
    s02 = summary_for(flow, "coord2")
    assert s02.sites == ("S02",)
    assert (s02.consort.screened, s02.consort.screen_failures, s02.consort.screening_incomplete) == (2, 1, 1)
    assert s02.consort.screen_failure_reasons == (ScreenFailureReasonView(*AGE, 1),)
    assert s02.consort.enrolled == 0
    assert s02.cohorts == (CohortSummaryView(1, 2, 3, "full", 0, 0, 0, 0, None, None),)
    s01 = summary_for(flow, "inv1")
    assert (s01.consort.screened, s01.consort.enrolled, s01.cohorts[0].patients) == (5, 3, 3)
    with flow.uow() as uow, pytest.raises(ForbiddenError):
        study_summary(uow, flow.users["admin"])


def test_a_dlt_judged_in_the_window_counts_as_evaluable_and_no_longer_pending(flow: Study) -> None:
    with flow.uow() as uow:
        subject = {v.screening_id: v.id for v in list_subjects(uow, flow.users["monitor"], "S01", 10, 0)[1]}
    after_window = datetime(2026, 10, 30, tzinfo=UTC)
    grade_4_crs = json.loads(safety("S01-0002", 2, date(2026, 10, 1), after_window))
    grade_4_crs["adverse_events"] = [crs([("2026-10-04T08:00:00Z", 4)], "2026-10-20T00:00:00Z")]
    with flow.uow() as uow:
        row = record_dlt_assessment(
            uow, flow.users["inv1"], subject["S01-0002"], json.dumps(grade_4_crs), after_window
        )
        uow.commit()
    assert row.status == "dlt"
    summary = summary_for(flow, "stat")
    assert (summary.consort.completed_dlt_window, summary.consort.with_dlt) == (2, 1)
    # Still pending: the subject withdrawn before infusion, until judged not evaluable (as the design
    # counts it).
    assert summary.cohorts == (CohortSummaryView(1, 2, 3, "full", 3, 2, 1, 1, None, None),)


def test_the_demo_summary_is_the_service_count_with_the_demo_tally_numbers(tmp_path: Path) -> None:
    """The demo's summary comes from `study_summary`; the numbers are those the demo's own tally gave
    for the default seed under the toxic-at-top scenario before it was replaced."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    prepare_database(url, overwrite=False)
    summary = run_study(url, StudyOptions(select_scenario("toxic-at-top", 4)), lambda _: None).summary
    assert summary.consort[:9] == (
        ("screened", 58),
        ("screen failures (ineligible)", 36),
        ("screening incomplete", 10),
        ("eligible", 12),
        ("eligible, not enrolled", 0),
        ("enrolled", 12),
        ("infused", 12),
        ("DLT-evaluable", 12),
        ("with a DLT", 3),
    )
    assert summary.consort[9:] == (("withdrawn", 0), ("died", 0))
    assert [(c.number, c.dose_level, c.enrolled, c.evaluable, c.dlts) for c in summary.cohorts] == [
        (1, 2, 3, 3, 0),
        (2, 3, 3, 3, 0),
        (3, 4, 3, 3, 2),
        (4, 3, 3, 3, 1),
    ]
    assert [(c.pending, c.src_decision) for c in summary.cohorts] == [
        (0, "escalate"),
        (0, "escalate"),
        (0, "de-escalate"),
        (0, "stop"),
    ]
