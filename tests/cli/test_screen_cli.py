import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples" / "screening"
TODAY = ["--today", "2026-11-25"]


def test_screen_json_shape_and_exit_code() -> None:
    result = runner.invoke(app, ["screen", str(EXAMPLES / "eligible.json"), "--json", *TODAY])
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["protocol"] == "relma-cel-sle-phase1@1.0"
    assert shown["verdict"] == "eligible"
    first = shown["criteria"][0]
    assert set(first) >= {"id", "kind", "result", "evidence", "missing"}
    assert {c["kind"] for c in shown["criteria"]} == {"inclusion", "exclusion"}


def test_exit_codes_by_verdict(tmp_path: Path) -> None:
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    record["transplants"] = [{"kind": "organ", "organ": "liver"}]
    ineligible = tmp_path / "ineligible.json"
    ineligible.write_text(json.dumps(record))
    assert runner.invoke(app, ["screen", str(ineligible), *TODAY]).exit_code == 3
    record["transplants"] = None
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps(record))
    assert runner.invoke(app, ["screen", str(incomplete), *TODAY]).exit_code == 4


def test_bad_record_exits_2_naming_the_field(tmp_path: Path) -> None:
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    record["labs"][0]["unit"] = "parsecs"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record))
    result = runner.invoke(app, ["screen", str(bad), *TODAY])
    assert result.exit_code == 2
    assert "labs.0" in result.stderr and "parsecs" in result.stderr
    assert (
        runner.invoke(app, ["screen", str(EXAMPLES / "eligible.json"), "--today", "yesterday"]).exit_code == 2
    )


def test_future_screening_date_is_bad_input() -> None:
    result = runner.invoke(app, ["screen", str(EXAMPLES / "eligible.json"), "--today", "2026-11-01"])
    assert result.exit_code == 2
    assert "screening_date" in result.stderr


def test_pool_writes_log_and_one_bad_line_rejects_all(tmp_path: Path) -> None:
    record = json.loads((EXAMPLES / "eligible.json").read_text())
    lines = [json.dumps(record | {"screening_id": f"S01-{i:04d}"}) for i in range(3)]
    pool = tmp_path / "pool.jsonl"
    pool.write_text("\n".join(lines) + "\n")
    log = tmp_path / "log.csv"
    result = runner.invoke(app, ["screen", str(pool), "--log", str(log), *TODAY])
    assert result.exit_code == 0
    rows = list(csv.DictReader(log.read_text().splitlines()))
    assert [r["verdict"] for r in rows] == ["eligible"] * 3
    pool.write_text("\n".join([*lines, '{"screening_id": "x"}']) + "\n")
    log.unlink()
    result = runner.invoke(app, ["screen", str(pool), "--log", str(log), *TODAY])
    assert result.exit_code == 2
    assert "line 4" in result.stderr
    assert not log.exists()


def test_schema_screening_record() -> None:
    result = runner.invoke(app, ["schema", "screening-record"])
    assert result.exit_code == 0
    assert "medications" in json.loads(result.stdout)["properties"]
