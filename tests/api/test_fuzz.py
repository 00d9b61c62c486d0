"""Schemathesis drives the API in-process from its own OpenAPI document, every operation, on SQLite and
PostgreSQL. The API may refuse, but never with a 5xx, and every answer is one the document declares: its
status, its content type and its body's schema. What runs and why: docs/api.md, "Fuzzing".

Each test is one operation over its own copy of the seeded study, grown by a few requests (`target`) so
that the examples name things that exist: subject 1 (inv1's site S01: enrolled and infused), subject 2
(coord2's site S02: screened) and subject 3 (S01: screened). The study keeps growing over the operation's
cases, as a server's does.
"""

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from cartrial.api import create_app
from cartrial.api.app import openapi_text
from tests.api.conftest import EXAMPLE, NOW, PASSWORD, ROLES, Api, record
from tests.services.test_clinical_service import crs
from tests.services.test_dosing_service import safety

# The callers: each role's user, and nobody logged in. A coverage case goes to them in this order until
# one is not refused for who they are (not logged in, not allowed, not theirs to see); every other case
# goes to all of them.
CALLERS: tuple[str | None, ...] = ("inv1", "coord2", "admin", "src", "monitor", "stat", None)
assert set(CALLERS) == {*ROLES, None}
REFUSED_FOR_WHO = frozenset({401, 403, 404})

INFUSED_ON = date(2026, 11, 1)
# A candidate not screened yet: each case that sends this record sends it with a new screening id.
NEW_CANDIDATE = record(screening_id="S01-1000")
# Subject 3, screened at S01 and not enrolled: its screening may still be corrected.
SCREENED = record(screening_id="S01-0002")

# Values the coverage phase builds its cases around (it varies one part of a valid request at a time), and
# that the examples phase sends as they are: the seeded study's site S01 and subject 1 (3 for a correction),
# and bodies valid for them. Without them a site is "0", a subject nobody's, a record one no core accepts.
PARAMETER_EXAMPLES = {"site_id": "S01", "subject_id": 1, "kind": "adverse_event"}
SCREENING = ("post", "/api/v1/sites/{site_id}/screenings")
CORRECTION = ("post", "/api/v1/subjects/{subject_id}/screenings")
DLT_ASSESSMENT = ("post", "/api/v1/subjects/{subject_id}/dlt-assessments")
INFUSION = ("post", "/api/v1/subjects/{subject_id}/infusion")
BODY_EXAMPLES: dict[tuple[str, str], Any] = {
    SCREENING: NEW_CANDIDATE,
    CORRECTION: {"reason": "history taken", "record": SCREENED},
    DLT_ASSESSMENT: json.loads(safety("S01-0001", 2, INFUSED_ON, NOW)),
    ("post", "/api/v1/subjects/{subject_id}/records/{kind}"): {
        "document": crs([("2026-11-02T08:00:00Z", 2)], resolution="2026-11-04T08:00:00Z")
    },
    INFUSION: {"infused_on": INFUSED_ON.isoformat(), "car_t_cells": 25_000_000},
    ("post", "/api/v1/subjects/{subject_id}/milestones"): {"status": "withdrawn", "on": "2026-11-20"},
}


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The served document with the examples above; nothing else differs."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                if parameter["name"] in PARAMETER_EXAMPLES:
                    parameter["example"] = PARAMETER_EXAMPLES[parameter["name"]]
                if (method, path) == CORRECTION and parameter["name"] == "subject_id":
                    parameter["example"] = 3
            if (method, path) in BODY_EXAMPLES:
                operation["requestBody"]["content"]["application/json"]["example"] = BODY_EXAMPLES[
                    (method, path)
                ]
    return document


CONFIG = schemathesis.Config.from_dict(
    {
        # Same cases on every run: a fixed seed, no randomness, no example database carried between runs.
        "seed": 6,
        "generation": {"deterministic": True, "database": "none", "max-examples": 5},
        # In the fuzzing phase path parameters name something in the study most of the time, so that
        # requests get past "no such site" or "no such subject".
        "dictionaries": {"sites": {"values": ["S01", "S02", "S03"]}, "subjects": {"values": [1, 2, 3]}},
        "parameters": {
            "path.site_id": {"dictionary": "sites", "probability": 0.8},
            "path.subject_id": {"dictionary": "subjects", "probability": 0.8},
        },
    }
)
schema = schemathesis.openapi.from_dict(with_examples(json.loads(openapi_text())), config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # A method the path lacks: 405, with Allow naming the methods the document gives the path.
    unsupported_method,
    allow_header_conformance,
    # Every request that breaks the document is refused, the records the cores parse (the screening record,
    # the safety record) included: they are read strictly (docs/api.md, "Fuzzing").
    negative_data_rejection,
]
# The screening record's coverage cases (some 1,170 for each operation that takes one, hundreds of them new
# subjects) run on SQLite only: what they vary is the record, which the cores parse and judge and either
# database stores as its text (its screening id in a column as wide as the schema allows). On PostgreSQL
# too they would add a third to the file's time; its other phases run there.
RECORD_BODIES = frozenset({SCREENING, CORRECTION})


@dataclass
class Target:
    """The application under test: its own instance over the study, run in schemathesis's event loop."""

    app: FastAPI
    database: str
    screening_ids: Iterator[str] = field(default_factory=lambda: (f"S01-{n}" for n in itertools.count(1001)))


@pytest.fixture
def target(api: Api) -> Target:
    """The seeded study with a cohort open, subject 1 enrolled and infused at S01, subject 2 screened at
    S02, subject 3 screened at S01."""
    inv1, coord2 = api.auth("inv1"), api.auth("coord2")
    steps: list[tuple[str, dict[str, str], object]] = [
        ("/api/v1/src-decisions", api.auth("src"), {"password": PASSWORD, "meaning": "approved"}),
        ("/api/v1/sites/S01/screenings", inv1, EXAMPLE),
        ("/api/v1/sites/S02/screenings", coord2, record(screening_id="S02-0001", site_id="S02")),
        ("/api/v1/sites/S01/screenings", inv1, SCREENED),
        ("/api/v1/subjects/1/enrollment", inv1, None),
        ("/api/v1/subjects/1/milestones", inv1, {"status": "leukapheresis", "on": "2026-10-10"}),
        ("/api/v1/subjects/1/milestones", inv1, {"status": "lymphodepletion", "on": "2026-10-27"}),
        ("/api/v1/subjects/1/infusion", inv1, BODY_EXAMPLES[INFUSION]),
    ]
    for path, headers, body in steps:
        response = api.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.text)
    engine = api.study.sessions.kw["bind"]
    return Target(create_app(api.study.sessions, api.clock), engine.dialect.name)


@schema.parametrize()
# The study is one per operation and database on purpose (above), not one per case.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_request_from_the_openapi_document_gets_a_5xx_or_an_undeclared_answer(
    case: Case[Any], api: Api, target: Target
) -> None:
    if isinstance(case.body, dict) and case.body.get("screening_id") == NEW_CANDIDATE["screening_id"]:
        case.body = {**case.body, "screening_id": next(target.screening_ids)}
    coverage = case.meta is not None and case.meta.phase.name.value == "coverage"
    operation = (case.method.lower(), case.operation.path)
    if coverage and operation in RECORD_BODIES and target.database != "sqlite":
        return
    for caller in CALLERS:
        response = case.call(app=target.app, headers=api.auth(caller) if caller else {})
        if caller is not None and case.operation.path.endswith("/auth/logout"):
            api.tokens.pop(caller, None)  # that token may be revoked now; log in again next time
        case.validate_response(response, checks=CHECKS)
        if coverage and response.status_code not in REFUSED_FOR_WHO:
            break
