"""A wrong-typed value in a safety assessment, the response visits or the escalation state is bad input on
the command line: exit 2, the field named, nothing printed on stdout (it is not coerced into a result)."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app
from tests.eligibility.test_strict_parsing import put

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("command", "example", "path", "value"),
    [
        (["grade", "crs"], "safety/crs-grade3.json", "hypotension", 0),
        (["grade", "icans"], "safety/icans-grade2.json", "ice.objects_named", "2"),
        (["grade", "iec-hs"], "safety/iec-hs.json", "ferritin_rising", 1),
        (["grade", "lab"], "safety/lab-bilirubin.json", "baseline", True),
        (["grade", "icaht"], "safety/anc-course.json", "measurements.1.day", 0.5),
        (["grade", "igg"], "safety/igg.json", "value", "380"),
        (["response"], "response/subject-visits.json", "visits.0.visit_date", 0),
        (["escalate"], "escalation/state.json", "patients.0.dose_level", "2"),
    ],
)
def test_a_wrong_json_type_is_exit_2(
    tmp_path: Path, command: list[str], example: str, path: str, value: Any
) -> None:
    file = tmp_path / "input.json"
    file.write_text(json.dumps(put(json.loads((EXAMPLES / example).read_text()), path, value)))
    result = runner.invoke(app, [*command, str(file), "--json"])
    assert result.exit_code == 2
    assert path in result.stderr and result.stdout == ""
