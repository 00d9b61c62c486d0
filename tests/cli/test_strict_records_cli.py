"""A wrong-typed value in the screening record or the safety record is bad input on the command line:
exit 2, the field named, nothing printed on stdout (it is not coerced into a result)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_unix_time_for_a_serology_date_is_exit_2(tmp_path: Path) -> None:
    record = json.loads((EXAMPLES / "screening" / "eligible.json").read_text())
    record["serology"][0]["result_date"] = 0
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    result = runner.invoke(app, ["screen", str(path), "--json", "--today", "2026-11-25"])
    assert result.exit_code == 2
    assert "serology.0.result_date" in result.stderr and result.stdout == ""


def test_zero_for_infused_at_assigned_dose_is_exit_2(tmp_path: Path) -> None:
    subject = json.loads((EXAMPLES / "safety" / "subject-dlt.json").read_text())
    path = tmp_path / "subject.json"
    path.write_text(json.dumps({**subject, "infused_at_assigned_dose": 0}))
    result = runner.invoke(app, ["dlt", str(path), "--json"])
    assert result.exit_code == 2
    assert "infused_at_assigned_dose" in result.stderr and result.stdout == ""
