import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "safety"


@pytest.mark.parametrize(
    ("kind", "example", "scale", "grade", "domains"),
    [
        ("crs", "crs-grade3.json", "CRS (ASTCT 2019)", 3, ["hypotension"]),
        ("crs", "crs-masked-fever.json", "CRS (ASTCT 2019)", 3, ["hypoxia"]),
        ("icans", "icans-grade2.json", "ICANS (ASTCT 2019, adults)", 2, ["ICE score"]),
        ("lab", "lab-bilirubin.json", "CTCAE v5.0: Blood bilirubin increased", 1, ["× ULN"]),
        ("lab", "lab-neutrophils.json", "CTCAE v5.0: Neutrophil count decreased", 4, ["value"]),
    ],
)
def test_grade_examples(kind: str, example: str, scale: str, grade: int, domains: list[str]) -> None:
    result = runner.invoke(app, ["grade", kind, str(EXAMPLES / example), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {"scale", "grade", "drivers", "source"}
    assert (shown["scale"], shown["grade"]) == (scale, grade)
    assert [d["domain"] for d in shown["drivers"]] == domains
    assert runner.invoke(app, ["grade", kind, str(EXAMPLES / example)]).exit_code == 0


def test_unknown_lab_unit_is_exit_2_naming_the_field(tmp_path: Path) -> None:
    lab = json.loads((EXAMPLES / "lab-neutrophils.json").read_text())
    bad = tmp_path / "lab.json"
    bad.write_text(json.dumps({**lab, "unit": "furlongs"}))
    result = runner.invoke(app, ["grade", "lab", str(bad), "--json"])
    assert result.exit_code == 2
    assert "unit" in result.stderr and "furlongs" in result.stderr
    assert result.stdout == ""


def test_bad_json_and_missing_file_are_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "x.json"
    broken.write_text("{")
    assert runner.invoke(app, ["grade", "crs", str(broken)]).exit_code == 2
    assert runner.invoke(app, ["grade", "icans", str(tmp_path / "none.json")]).exit_code == 2


def test_dlt_single_subject_json() -> None:
    result = runner.invoke(app, ["dlt", str(EXAMPLES / "subject-dlt.json"), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert {"status", "rule", "events", "followup_days", "evaluable"} <= set(shown)
    assert (shown["status"], shown["rule"], shown["events"]) == ("dlt", "crs-grade3-persisting", ["AE-1"])
    # Grade 3 from 06:00 UTC on 3 March, still grade 3 at 72 h: DLT when the 72 h ran out.
    assert shown["dlt_at"] == "2025-03-06T06:00:00"


def test_dlt_jsonl_gives_one_line_each_and_the_escalation_input() -> None:
    result = runner.invoke(app, ["dlt", str(EXAMPLES / "cohort.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["subject_id"], r["status"]) for r in lines] == [
        ("S-01", "no_dlt"),
        ("S-02", "dlt"),
        ("S-03", "pending"),
    ]
    escalation = runner.invoke(app, ["dlt", str(EXAMPLES / "cohort.jsonl"), "--escalation"])
    state = json.loads(escalation.stdout)
    assert state == {
        "patients": [
            {"id": "S-01", "dose_level": 2, "dlt": "no", "followup_days": 28.0},
            {"id": "S-02", "dose_level": 2, "dlt": "yes", "followup_days": 28.0},
            {"id": "S-03", "dose_level": 2, "dlt": "pending", "followup_days": 15.0},
        ]
    }


def test_escalation_output_is_read_by_the_escalation_engine(tmp_path: Path) -> None:
    escalation = runner.invoke(app, ["dlt", str(EXAMPLES / "cohort.jsonl"), "--escalation"])
    state = tmp_path / "state.json"
    state.write_text(escalation.stdout)
    result = runner.invoke(app, ["escalate", str(state), "--json"])
    assert result.exit_code == 0, result.output


def test_dlt_bad_line_names_line_and_field_and_prints_nothing(tmp_path: Path) -> None:
    lines = (EXAMPLES / "cohort.jsonl").read_text().splitlines()
    second = json.loads(lines[1])
    second["adverse_events"][0]["resolution"] = "2025-01-01T00:00:00"
    cohort = tmp_path / "c.jsonl"
    cohort.write_text("\n".join([lines[0], json.dumps(second), lines[2]]) + "\n")
    result = runner.invoke(app, ["dlt", str(cohort), "--json"])
    assert result.exit_code == 2
    assert "c.jsonl:2" in result.stderr
    assert "adverse_events.0.resolution" in result.stderr
    assert result.stdout == ""


def test_dlt_dose_level_must_exist_in_the_protocol(tmp_path: Path) -> None:
    subject = json.loads((EXAMPLES / "subject-dlt.json").read_text())
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**subject, "dose_level": 9}))
    result = runner.invoke(app, ["dlt", str(path)])
    assert result.exit_code == 2
    assert "dose_level" in result.stderr


def test_unknown_dlt_rule_kind_in_a_protocol_file_is_exit_2(tmp_path: Path) -> None:
    from cartrial.data import embedded_protocol_text

    protocol = tmp_path / "p.toml"
    protocol.write_text(embedded_protocol_text().replace('kind = "death_related"', 'kind = "death_any"'))
    result = runner.invoke(app, ["dlt", str(EXAMPLES / "subject-dlt.json"), "--protocol-file", str(protocol)])
    assert result.exit_code == 2
    assert "dlt.rules.5.kind" in result.stderr


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("crs-assessment", "CrsAssessment"),
        ("icans-assessment", "IcansAssessment"),
        ("lab-result", "LabResult"),
        ("subject-safety", "SubjectSafety"),
    ],
)
def test_schemas(name: str, title: str) -> None:
    result = runner.invoke(app, ["schema", name])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == title


def test_grade_iec_hs_and_icaht_examples() -> None:
    iec_hs = runner.invoke(app, ["grade", "iec-hs", str(EXAMPLES / "iec-hs.json"), "--json"])
    assert iec_hs.exit_code == 0, iec_hs.output
    assert json.loads(iec_hs.stdout)["grade"] == 3
    # Interpolated by hand: ANC <= 500/µL on days 2-12 (11 days), <= 100/µL on days 4-7 (4 days);
    # after day 30, two tests <= 1500/µL and none <= 1000/µL.
    icaht = runner.invoke(app, ["grade", "icaht", str(EXAMPLES / "anc-course.json"), "--json"])
    assert icaht.exit_code == 0, icaht.output
    shown = json.loads(icaht.stdout)
    assert (shown["early"]["grade"], shown["late"]["grade"], shown["unknown"]) == (2, 1, [])
    assert shown["early"]["drivers"][0]["finding"] == "11 days in days 0-30"
    bad = runner.invoke(app, ["grade", "icaht", str(EXAMPLES / "anc-course.json"), "--counting", "x"])
    assert bad.exit_code == 2


def test_igg_finding_with_threshold_setting() -> None:
    default = runner.invoke(app, ["grade", "igg", str(EXAMPLES / "igg.json"), "--json"])
    assert default.exit_code == 0, default.output
    assert json.loads(default.stdout)["present"] is True  # 380 mg/dL = 3.8 g/L < 4 g/L
    lower = runner.invoke(app, ["grade", "igg", str(EXAMPLES / "igg.json"), "--threshold", "3.8", "--json"])
    assert json.loads(lower.stdout)["present"] is False  # 3.8 g/L is not below 3.8 g/L
    assert runner.invoke(app, ["grade", "igg", str(EXAMPLES / "igg.json"), "--threshold", "x"]).exit_code == 2
