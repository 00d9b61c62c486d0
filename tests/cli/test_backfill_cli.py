"""`cartrial escalate` and `pathways` with backfill cohorts: the `b` mark in the notation, --backfill-size."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
BF_BOIN = ["--doses", "4", "--design", "boin", "--target", "0.3", "--backfill"]


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_escalate_reads_backfill_marks_and_pools_them() -> None:
    shown = run_json("escalate", *BF_BOIN, "--outcomes", "1NNN 2NNN b1NT 3NNN b2TT")
    # Dose 2 pooled 2/5 (de-escalate) conflicts with dose 3's 0/3: pooled 2..3 2/8 -> stay.
    assert (shown["decision"], shown["next_dose"]) == ("stay", 3)
    details = shown["details"]
    assert isinstance(details, dict) and details["pooled_from"] == 2


def test_backfill_marks_are_bad_input_without_backfill() -> None:
    refused = runner.invoke(
        app, ["escalate", "--doses", "4", "--design", "boin", "--target", "0.3", "--outcomes", "2NNN b1NT"]
    )
    assert refused.exit_code == 2 and "backfill cohort" in refused.stderr


def test_state_json_backfill_patients_are_bad_input_without_backfill(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    patients = [{"dose_level": 2, "dlt": "no"}] * 3 + [{"dose_level": 1, "dlt": "no", "backfill": True}]
    state.write_text(json.dumps({"patients": patients}))
    refused = runner.invoke(
        app, ["escalate", str(state), "--doses", "4", "--design", "boin", "--target", "0.3"]
    )
    assert refused.exit_code == 2 and "patients[3].backfill" in refused.stderr
    # MTD selection pools them with the others at their dose, whatever the design.
    selected = run_json("select-mtd", str(state), "--doses", "4", "--design", "boin", "--target", "0.3")
    estimates = selected["estimates"]
    assert isinstance(estimates, list) and [e["n"] for e in estimates[:2]] == [1, 3]


def test_pathways_with_backfill_cohorts_json_and_table() -> None:
    args = ["pathways", *BF_BOIN, "--outcomes", "1NNN 2NNN", "--cohorts", "1", "--backfill-size", "2"]
    shown = run_json(*args)
    tree = shown["tree"]
    assert isinstance(tree, dict) and len(tree["children"]) == 4 * 3
    first = tree["children"][0]
    assert first["outcome"] == "3NNN b2NN"
    assert first["backfill"] == {"dose": 2, "size": 2, "dlts": 0, "outcome": "b2NN"}
    paths = shown["paths"]
    assert isinstance(paths, list)
    assert [(p["path"], p["decision"], p["next_dose"]) for p in paths[2:4]] == [
        ("3NNN b2TT", "stay", 3),
        ("3NNT b2NN", "stay", 3),
    ]
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "backfill cohorts" in table.stdout and "b2TT" in table.stdout
    # The default backfill cohort is the cohort size.
    default = run_json("pathways", *BF_BOIN, "--outcomes", "1NNN 2NNN", "--cohorts", "1")
    assert isinstance(default["tree"], dict) and len(default["tree"]["children"]) == 4 * 4


def test_backfill_size_without_backfill_is_bad_input() -> None:
    args = ["pathways", "--doses", "4", "--design", "boin", "--target", "0.3", "--backfill-size", "2"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "backfill_size" in refused.stderr


def test_simulate_bf_boin_in_calendar_time_beside_plain_boin() -> None:
    # No toxicity, a patient a week, window 28 days, 4 cohorts of 3: each cohort is complete 42 days
    # after its first patient, so both designs take 168 days (traced in test_backfill_calendar.py);
    # the arrivals on days +21, +28, +35 of cohorts 2-4 are backfilled one dose below.
    common = ["simulate", *BF_BOIN[2:], "--true", "0,0,0,0", "--cohorts", "4", "--trials", "5"]
    shown = run_json(*common, "--accrual-days", "7")
    assert shown["escalation_patients"] == [3.0, 3.0, 3.0, 3.0]
    assert shown["backfill_patients"] == [3.0, 3.0, 3.0, 0.0]
    assert (shown["mean_duration_days"], shown["boin_mean_duration_days"]) == (168.0, 168.0)
    assert shown["mean_unevaluated_backfill_n"] == 3.0
    both = runner.invoke(app, [*common, "--accrual-days", "7", "--backfill-size", "2"])
    assert both.exit_code == 2
    assert "backfill_size" in both.stderr
