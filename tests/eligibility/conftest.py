import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cartrial.data import embedded_protocol
from cartrial.eligibility import CriterionResult, ScreeningRecord, parse_screening_record, screen

EXAMPLE = Path(__file__).parents[2] / "examples" / "screening" / "eligible.json"
TODAY = date(2026, 11, 25)

Record = dict[str, Any]


@pytest.fixture
def base() -> Record:
    """The eligible example record as a dict to modify (screening 2026-11-02)."""
    return copy.deepcopy(json.loads(EXAMPLE.read_text()))


def parse(record: Record) -> ScreeningRecord:
    return parse_screening_record(json.dumps(record), "test", TODAY)


def criterion(record: Record, criterion_id: str) -> CriterionResult:
    result = screen(parse(record), embedded_protocol())
    return next(c for c in result.criteria if c.id == criterion_id)


Assess = Callable[[Record, str], CriterionResult]
