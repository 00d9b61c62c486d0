import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from cartrial.errors import InputError
from cartrial.services.clinical import record_clinical
from cartrial.services.dosing import enroll, record_infusion, record_milestone
from cartrial.services.errors import NotFoundError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.reads import current_documents
from cartrial.store.audit import verify_chain
from cartrial.store.models import DltAssessment, Subject
from tests.services.conftest import NOW, Study
from tests.services.test_dosing_service import candidate, src_signs

INFUSED = date(2026, 11, 1)


def infused_subject(study: Study) -> int:
    subject = candidate(study, 1)
    src_signs(study)
    with study.uow() as uow:
        user = study.users["inv1"]
        enroll(uow, user, subject, NOW)
        record_milestone(uow, user, subject, SubjectStatus.LEUKAPHERESIS, date(2026, 10, 10), NOW)
        record_milestone(uow, user, subject, SubjectStatus.LYMPHODEPLETION, date(2026, 10, 27), NOW)
        record_infusion(uow, user, subject, INFUSED, 25_000_000, NOW)
        uow.commit()
    return subject


def crs(grades: list[tuple[str, int]], resolution: str | None = None) -> dict[str, Any]:
    return {
        "id": "AE-1",
        "term": "Cytokine release syndrome",
        "category": "crs",
        "onset": grades[0][0],
        "grades": [{"at": at, "grade": grade} for at, grade in grades],
        "resolution": resolution,
        "serious": True,
        "related_to_product": "definite",
        "related_to_lymphodepletion": "unlikely",
        "actions": ["tocilizumab"],
    }


def record(
    study: Study, subject: int, kind: str, document: dict[str, Any], when: datetime, reason: str | None = None
) -> None:
    with study.uow() as uow:
        record_clinical(uow, study.users["inv1"], subject, kind, json.dumps(document), when, reason)
        uow.commit()


def latest_dlt(study: Study, subject: int) -> tuple[str, str | None, int]:
    with study.uow() as uow:
        row = (
            uow.session.execute(
                select(DltAssessment)
                .where(DltAssessment.subject_id == subject)
                .order_by(DltAssessment.version.desc())
            )
            .scalars()
            .first()
        )
        assert row is not None
        return row.status, row.rule, row.version


def test_an_arriving_adverse_event_readjudicates_the_dlt(study: Study) -> None:
    subject = infused_subject(study)
    day2 = datetime(2026, 11, 2, 12, tzinfo=UTC)
    record(study, subject, "adverse_event", crs([("2026-11-02T08:00:00Z", 2)]), day2)
    assert latest_dlt(study, subject)[0] == "pending"
    worse = crs([("2026-11-02T08:00:00Z", 2), ("2026-11-03T08:00:00Z", 4)])
    with study.uow() as uow, pytest.raises(InputError, match="reason"):
        record_clinical(uow, study.users["inv1"], subject, "adverse_event", json.dumps(worse), day2)
    day3 = datetime(2026, 11, 3, 12, tzinfo=UTC)
    record(study, subject, "adverse_event", worse, day3, reason="grade 4 on day 3")
    assert latest_dlt(study, subject) == ("dlt", "crs-grade4", 2)
    with study.uow() as uow:
        assert uow.session.get(Subject, subject).status == "follow_up"  # type: ignore[union-attr]
        versions = [r.version for r in current_documents(uow, subject, "adverse_event")]
        assert versions == [2]
        assert verify_chain(uow.session)[1] == ()


def test_labs_pk_samples_and_response_visits_are_versioned_documents(study: Study) -> None:
    subject = infused_subject(study)
    lab = {
        "sample_id": "L-0001",
        "collected_on": "2026-11-08",
        "result": {
            "test": "neutrophils",
            "value": 0.4,
            "unit": "10^9/L",
            "lower_limit": 1.8,
            "upper_limit": 6.3,
        },
    }
    record(study, subject, "lab", lab, NOW)
    pk = {
        "sample_id": "PK-07",
        "day": 7,
        "analyte": "car_transgene_qpcr",
        "value": 51234,
        "unit": "copies/ug gDNA",
        "blq": False,
        "lloq": 50,
    }
    record(study, subject, "pk_sample", pk, NOW)
    record(study, subject, "pk_sample", pk | {"value": 51243}, NOW, reason="transcription error")
    visit = {"visit": "M3", "day": 90, "pga": 0.4}
    record(study, subject, "response_visit", visit, NOW)
    with study.uow() as uow:
        samples = current_documents(uow, subject, "pk_sample")
        assert [(s.version, s.document["value"]) for s in samples] == [(2, 51243)]
        assert samples[0].reason == "transcription error"


@pytest.mark.parametrize(
    ("kind", "document", "field"),
    [
        (
            "lab",
            {
                "sample_id": "L",
                "collected_on": "2026-11-08",
                "result": {
                    "test": "neutrophils",
                    "value": 1,
                    "unit": "parsec",
                    "lower_limit": 1.8,
                    "upper_limit": 6,
                },
            },
            "result.unit",
        ),
        (
            "pk_sample",
            {
                "sample_id": "P",
                "day": 7,
                "analyte": "car_transgene_qpcr",
                "value": -1,
                "unit": "copies/ug gDNA",
                "blq": False,
                "lloq": 50,
            },
            "value",
        ),
        ("response_visit", {"visit": "M3", "day": 90, "pga": 3.5}, "pga"),
        # Quantities only as JSON numbers: numeric text is refused, not read (records are read strictly).
        ("response_visit", {"visit": "M3", "day": 90, "pga": "0.4"}, "pga"),
        (
            "pk_sample",
            {
                "sample_id": "P",
                "day": 7,
                "analyte": "car_transgene_qpcr",
                "value": "51234",
                "unit": "copies/ug gDNA",
                "blq": False,
                "lloq": 50,
            },
            "value",
        ),
        ("recipe", {}, "kind"),
    ],
)
def test_bad_documents_name_the_field(study: Study, kind: str, document: dict[str, Any], field: str) -> None:
    subject = infused_subject(study)
    with study.uow() as uow, pytest.raises(InputError) as exc:
        record_clinical(uow, study.users["inv1"], subject, kind, json.dumps(document), NOW)
    assert any(e.field.startswith(field) for e in exc.value.errors), exc.value


def test_other_sites_cannot_record(study: Study) -> None:
    subject = infused_subject(study)
    with study.uow() as uow, pytest.raises(NotFoundError):
        record_clinical(
            uow, study.users["coord2"], subject, "response_visit", json.dumps({"visit": "M1", "day": 30}), NOW
        )


def test_a_window_that_closed_with_no_event_is_judged(study: Study) -> None:
    from cartrial.services.clinical import close_dlt_windows

    subject = infused_subject(study)
    with study.uow() as uow:
        judged = close_dlt_windows(uow, study.users["inv1"], datetime(2026, 11, 20, tzinfo=UTC))
        assert [a.status for a in judged] == ["pending"]
        uow.commit()
    with study.uow() as uow:
        assert close_dlt_windows(uow, study.users["coord2"], datetime(2026, 11, 30, tzinfo=UTC)) == []
        judged = close_dlt_windows(uow, study.users["inv1"], datetime(2026, 11, 30, tzinfo=UTC))
        assert [(a.status, a.followup_days) for a in judged] == [("no_dlt", 28.0)]
        uow.commit()
    assert latest_dlt(study, subject)[0] == "no_dlt"


def test_consents_and_visits(study: Study) -> None:
    subject = infused_subject(study)
    record(study, subject, "consent", {"icf_version": "2.1", "signed_on": "2026-10-20"}, NOW)
    record(study, subject, "visit", {"visit": "day 7", "visit_date": "2026-11-08"}, NOW)
    for kind, document, field in [
        ("visit", {"visit": "day 8", "visit_date": "2026-11-09"}, "visit"),
        ("visit", {"visit": "day 28", "visit_date": "2026-11-29"}, "visit_date"),
        (
            "consent",
            {"icf_version": "3", "signed_on": "2026-11-01", "withdrawn_on": "2026-10-01"},
            "(top level)",
        ),
    ]:
        with study.uow() as uow, pytest.raises(InputError) as exc:
            record_clinical(uow, study.users["inv1"], subject, kind, json.dumps(document), NOW)
        assert exc.value.errors[0].field == field
