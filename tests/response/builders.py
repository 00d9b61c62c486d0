"""Visits built field by field: every SLEDAI descriptor not named present is absent unless named unknown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cartrial.clinical.sledai import Descriptor, SledaiVersion
from cartrial.response import BilagDomain, BilagGrade, Visit

ALL_E: dict[str, BilagGrade] = {d.value: BilagGrade.E for d in BilagDomain}
NO_ACTIVITY: dict[str, bool] = {
    "renal": False,
    "cns": False,
    "cardiopulmonary": False,
    "vasculitis": False,
    "fever": False,
    "haemolytic_anaemia": False,
    "gastrointestinal": False,
    "new_activity_since_previous": False,
}


def sledai(
    version: SledaiVersion, present: Iterable[str] = (), unknown: Iterable[str] = ()
) -> dict[str, Any]:
    present, unknown = set(present), set(unknown)
    return {
        "version": version.value,
        "assessment_date": "2026-01-05",
        "descriptors": {d.value: d.value in present for d in Descriptor if d.value not in unknown},
    }


def visit(day: int = 0, **fields: Any) -> Visit:
    """A visit in remission by every criterion unless `fields` say otherwise (None: not recorded)."""
    data: dict[str, Any] = {
        "visit": f"day {day}",
        "day": day,
        "sledai": [sledai(SledaiVersion.SELENA), sledai(SledaiVersion.SLEDAI_2K)],
        "bilag": ALL_E,
        "pga": 0,
        "glucocorticoids": [],
        "lupus_drugs": [],
        "activity": NO_ACTIVITY,
    }
    data.update(fields)
    # As a visit is read: JSON, validated strictly (numbers as JSON numbers, dates as text).
    return Visit.model_validate_json(json.dumps(data, default=float))


def both(present: Iterable[str] = (), unknown: Iterable[str] = ()) -> list[dict[str, Any]]:
    present, unknown = list(present), list(unknown)
    return [sledai(v, present, unknown) for v in SledaiVersion]
