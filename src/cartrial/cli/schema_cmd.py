"""`cartrial schema NAME`: the JSON Schema of each input format cartrial reads."""

from __future__ import annotations

from collections.abc import Callable

import typer
from pydantic import BaseModel

from cartrial.cli.common import print_json, stderr


def _screening_record() -> type[BaseModel]:
    from cartrial.eligibility import ScreeningRecord

    return ScreeningRecord


def _escalation_state() -> type[BaseModel]:
    from cartrial.escalation import EscalationState

    return EscalationState


def _protocol() -> type[BaseModel]:
    from cartrial.protocol import Protocol

    return Protocol


def _crs_assessment() -> type[BaseModel]:
    from cartrial.safety import CrsAssessment

    return CrsAssessment


def _icans_assessment() -> type[BaseModel]:
    from cartrial.safety import IcansAssessment

    return IcansAssessment


def _lab_result() -> type[BaseModel]:
    from cartrial.safety import LabResult

    return LabResult


def _subject_safety() -> type[BaseModel]:
    from cartrial.safety import SubjectSafety

    return SubjectSafety


def _response_visits() -> type[BaseModel]:
    from cartrial.response import ResponseVisits

    return ResponseVisits


# Each input format by name; a topic adds its own formats here. Imports are lazy so `--help` is fast.
SCHEMAS: dict[str, Callable[[], type[BaseModel]]] = {
    "crs-assessment": _crs_assessment,
    "icans-assessment": _icans_assessment,
    "lab-result": _lab_result,
    "subject-safety": _subject_safety,
    "escalation-state": _escalation_state,
    "protocol": _protocol,
    "screening-record": _screening_record,
    "response-visits": _response_visits,
}


def register(app: typer.Typer) -> None:
    @app.command("schema")
    def schema(name: str = typer.Argument(..., help="one of: " + ", ".join(sorted(SCHEMAS)))) -> None:
        """Print the JSON Schema of an input format."""
        if name not in SCHEMAS:
            stderr.print(f"error: unknown schema {name!r}; known: {', '.join(sorted(SCHEMAS))}")
            raise typer.Exit(2)
        print_json(SCHEMAS[name]().model_json_schema())
