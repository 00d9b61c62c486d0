import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_escalate_boin_from_notation() -> None:
    shown = run_json("escalate", "--design", "boin", "--target", "0.3", "--outcomes", "2NNN 3NTN")
    assert set(shown) == {"design", "decision", "next_dose", "eliminated", "stop", "reason", "details"}
    assert (shown["decision"], shown["next_dose"], shown["stop"]) == ("stay", 3, False)
    details = shown["details"]
    assert isinstance(details, dict)
    assert round(details["lambda_e"], 4) == 0.2365
    assert details["overdose_probability"][0] is None


def test_escalate_registered_protocol_is_3_plus_3() -> None:
    shown = run_json("escalate", "--outcomes", "2NTT")
    assert (shown["design"], shown["decision"], shown["next_dose"]) == ("3+3", "de-escalate", 1)
    table = runner.invoke(app, ["escalate", "--outcomes", "2NTT"])
    assert table.exit_code == 0 and "de-escalate" in table.stdout


def test_escalate_from_state_json(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "patients": [
                    {"dose_level": 2, "dlt": "no", "followup_days": 28},
                    {"dose_level": 2, "dlt": "no", "followup_days": 28},
                    {"dose_level": 2, "dlt": "pending", "followup_days": 12},
                ]
            }
        )
    )
    shown = run_json("escalate", str(state))
    assert (shown["decision"], shown["next_dose"]) == ("suspend", 2)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["escalate", "--outcomes", "5NNN"], "dose level 5"),
        (["escalate", "--outcomes", "0NNN"], "0NNN"),
        (["escalate", "--design", "boin", "--target", "1.2", "--outcomes", "1NNN"], "target"),
        (["escalate", "--design", "boin", "--outcomes", "1NNN"], "target"),
        (["boundaries", "--target", "0"], "target"),
        (
            ["select-mtd", "--design", "boin", "--target", "0.3", "--doses", "2", "--outcomes", "3N"],
            "dose level 3",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_field(args: list[str], field: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert field in result.stderr


def test_negative_followup_and_unknown_level_in_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"patients": [{"dose_level": 1, "dlt": "pending", "followup_days": -1}]}))
    result = runner.invoke(app, ["escalate", str(state)])
    assert result.exit_code == 2
    assert "patients.0.followup_days" in result.stderr
    state.write_text(json.dumps({"patients": [{"dose_level": 9, "dlt": "no"}]}))
    result = runner.invoke(app, ["escalate", str(state)])
    assert result.exit_code == 2
    assert "patients[0].dose_level" in result.stderr


def test_boundaries_json_as_r_get_boundary() -> None:
    shown = run_json(
        "boundaries", "--design", "boin", "--target", "0.3", "--cohort-size", "3", "--max-n", "30"
    )
    assert round(float(shown["lambda_d"]), 4) == 0.3585  # type: ignore[arg-type]
    table = shown["table"]
    assert isinstance(table, list)
    assert table[0] == {"n": 3, "escalate_at_most": 0, "deescalate_at_least": 2, "eliminate_at_least": 3}
    assert table[-1] == {"n": 30, "escalate_at_most": 7, "deescalate_at_least": 11, "eliminate_at_least": 14}
    full = shown["full_table"]
    assert isinstance(full, list)
    assert full[0]["eliminate_at_least"] is None
    assert runner.invoke(app, ["boundaries", "--target", "0.3"]).exit_code == 0


def test_select_mtd_json() -> None:
    shown = run_json(
        "select-mtd",
        "--design",
        "boin",
        "--target",
        "0.3",
        "--doses",
        "5",
        "--outcomes",
        "1NNN 2NNN 3NNNNNNNNNNNTTTT 4NNNNNTTTT",
    )
    assert shown["mtd"] == 3
    estimates = shown["estimates"]
    assert isinstance(estimates, list)
    assert set(estimates[0]) >= {"dose", "n", "dlt", "estimate", "ci_lower", "ci_upper"}
    assert estimates[4]["estimate"] is None
    assert run_json("select-mtd", "--design", "boin", "--target", "0.3", "--outcomes", "1TTT")["mtd"] is None


def test_select_mtd_for_3_plus_3_and_table() -> None:
    assert run_json("select-mtd", "--outcomes", "2NNN 3NTT 2NNN")["mtd"] == 2
    result = runner.invoke(app, ["select-mtd", "--outcomes", "2NNN 3NTT 2NNN"])
    assert result.exit_code == 0 and "MTD: dose 2" in result.stdout


def test_simulate_json_like_get_oc(tmp_path: Path) -> None:
    args = ["simulate", "--design", "boin", "--target", "0.3", "--true", "0.05,0.10,0.20,0.30"]
    args += ["--cohort-size", "3", "--cohorts", "10", "--trials", "2000", "--seed", "6"]
    shown = run_json(*args)
    assert set(shown) == {"selection_pct", "patients", "dlts", "stop_pct", "mean_n"}
    selection = shown["selection_pct"]
    assert isinstance(selection, list) and len(selection) == 4
    assert sum(selection) + float(shown["stop_pct"]) == pytest.approx(100.0)  # type: ignore[arg-type]
    assert shown == run_json(*args)
    picture = tmp_path / "oc.svg"
    result = runner.invoke(app, [*args, "--plot", str(picture)])
    assert result.exit_code == 0 and picture.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--true", "0.1,x"], "--true"),
        (["--true", "0.1,1.5"], "true[1]"),
        (["--true", "0.1", "--target", "-1"], "target"),
    ],
)
def test_simulate_bad_input(extra: list[str], field: str) -> None:
    result = runner.invoke(app, ["simulate", "--design", "boin", "--target", "0.3", "--trials", "10", *extra])
    assert result.exit_code == 2, result.output
    assert field in result.stderr


def test_escalate_crm_with_flags() -> None:
    shown = run_json(
        "escalate",
        "--design",
        "crm",
        "--target",
        "0.25",
        "--skeleton",
        "0.05,0.12,0.25,0.40",
        "--model",
        "logistic",
        "--prior-var",
        "1.34",
        "--intercept",
        "3",
        "--outcomes",
        "2NNN 3NTN",
    )
    details = shown["details"]
    assert isinstance(details, dict)
    assert details["skeleton"] == [0.05, 0.12, 0.25, 0.40]
    assert details["model"] == "logistic" and details["intercept"] == 3
    assert len(details["posterior_toxicity"]) == 4
    result = runner.invoke(app, ["escalate", "--design", "crm", "--target", "0.25", "--outcomes", "2NNN"])
    assert result.exit_code == 2 and "skeleton" in result.stderr


def test_simulate_crm() -> None:
    shown = run_json(
        "simulate",
        "--design",
        "crm",
        "--target",
        "0.25",
        "--skeleton",
        "0.05,0.12,0.25,0.40",
        "--true",
        "0.05,0.10,0.25,0.40",
        "--trials",
        "500",
    )
    selection = shown["selection_pct"]
    assert isinstance(selection, list)
    assert sum(selection) + float(shown["stop_pct"]) == pytest.approx(100.0)  # type: ignore[arg-type]


def test_pathways_json_table_and_plot(tmp_path: Path) -> None:
    shown = run_json("pathways", "--design", "boin", "--target", "0.3", "--cohorts", "2")
    tree = shown["tree"]
    assert isinstance(tree, dict)
    assert tree["next_dose"] == 2 and len(tree["children"]) == 4
    paths = shown["paths"]
    assert isinstance(paths, list) and paths[0]["path"] == "2NNN 3NNN"
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps({"patients": [{"dose_level": 2, "dlt": "no"}] * 2 + [{"dose_level": 2, "dlt": "yes"}]})
    )
    picture = tmp_path / "tree.png"
    result = runner.invoke(app, ["pathways", str(state), "--cohorts", "2", "--plot", str(picture)])
    assert result.exit_code == 0 and "2NNN 3NNN" in result.stdout
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_escalate_tite_crm_from_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    patients = [{"dose_level": 2, "dlt": "no", "followup_days": 28}] * 3
    patients += [{"dose_level": 3, "dlt": "pending", "followup_days": 20}]
    state.write_text(json.dumps({"patients": patients}))
    args = [
        "escalate",
        str(state),
        "--design",
        "tite-crm",
        "--target",
        "0.25",
        "--skeleton",
        "0.05,0.12,0.25,0.40",
    ]
    shown = run_json(*args)
    assert shown["design"] == "tite-crm" and shown["decision"] == "suspend"  # 1 of 1 pending at dose 3
    patients[-1] = {"dose_level": 3, "dlt": "pending"}
    state.write_text(json.dumps({"patients": [*patients, {"dose_level": 3, "dlt": "no"}] * 1}))
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "followup_days" in result.stderr
    simulate = [
        "simulate",
        "--design",
        "tite-crm",
        "--target",
        "0.25",
        "--true",
        "0.1,0.2",
        "--skeleton",
        "0.1,0.2",
    ]
    result = runner.invoke(app, simulate)
    assert result.exit_code == 2 and "accrual_days" in result.stderr
    shown = run_json(*simulate, "--accrual-days", "7", "--cohorts", "4", "--trials", "200")
    assert shown["mean_n"] == 12
    assert float(shown["mean_duration_days"]) >= 11 * 7 + 28  # type: ignore[arg-type]


def test_simulate_grid_json_and_csv(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(
        "trials = 500\n[[designs]]\nname = '3+3'\n[[designs]]\nname = 'boin'\ntarget = 0.3\n"
        "[[scenarios]]\nname = 'A'\ntrue = [0.05, 0.1, 0.2, 0.3]\n"
    )
    out = tmp_path / "grid.csv"
    result = runner.invoke(app, ["simulate", str(grid), "--json", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["design"], r["scenario"]) for r in rows] == [("3+3", "A"), ("boin", "A")]
    lines = out.read_text().splitlines()
    assert lines[0].startswith("design,scenario,dose") and len(lines) == 1 + 2 * 4
    missing = runner.invoke(app, ["simulate", "--design", "boin", "--target", "0.3"])
    assert missing.exit_code == 2 and "true" in missing.stderr


def test_escalate_boin12_reads_the_notation_as_phase_1_2() -> None:
    shown = run_json(
        "escalate",
        "--design",
        "boin12",
        "--doses",
        "5",
        "--target",
        "0.35",
        "--phi-e",
        "0.25",
        "--outcomes",
        "1NNN 2ENT 3ETT 2EEN",
    )
    assert (shown["design"], shown["next_dose"]) == ("boin12", 2)
    details = shown["details"]
    assert isinstance(details, dict) and details["utility_benchmark"] == pytest.approx(70.5)
    result = runner.invoke(app, ["escalate", "--design", "boin12", "--target", "0.35", "--outcomes", "1NNN"])
    assert result.exit_code == 2 and "phi_e" in result.stderr


def test_select_obd_for_boin12() -> None:
    shown = run_json(
        "select-mtd",
        "--design",
        "boin12",
        "--doses",
        "5",
        "--target",
        "0.35",
        "--phi-e",
        "0.25",
        "--outcomes",
        "1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN",
    )
    assert shown["mtd"] == 4


def test_escalate_tite_boin_from_the_example_state() -> None:
    example = str(Path(__file__).parents[2] / "examples" / "escalation" / "tite-state.json")
    shown = run_json("escalate", example, "--design", "tite-boin", "--target", "0.3")
    assert shown["design"] == "tite-boin" and shown["decision"] == "suspend"  # 2 of 3 pending at dose 3
    details = shown["details"]
    assert isinstance(details, dict)
    assert details["effective_sample_size"] == pytest.approx(1 + 21 / 28 + 6 / 28)


def test_simulate_tite_boin_reports_duration() -> None:
    shown = run_json(
        "simulate",
        "--design",
        "tite-boin",
        "--target",
        "0.3",
        "--true",
        "0.05,0.1,0.2,0.3",
        "--accrual-days",
        "7",
        "--accrual",
        "poisson",
        "--trials",
        "300",
    )
    assert float(shown["mean_duration_days"]) > 28  # type: ignore[arg-type]


def test_escalate_with_backfill_cohorts_from_state_json() -> None:
    example = str(Path(__file__).parents[2] / "examples" / "escalation" / "backfill-state.json")
    shown = run_json("escalate", example, "--doses", "4", "--design", "boin", "--target", "0.3", "--backfill")
    # Two escalation patients pending at dose 3 hold the decision; dose 2's 6 patients (3 backfill,
    # 3 DLTs) close it to backfill, dose 1 (3/0) stays open.
    assert (shown["decision"], shown["next_dose"]) == ("suspend", 3)
    details = shown["details"]
    assert isinstance(details, dict) and details["backfill_open"] == [1]
    refused = runner.invoke(
        app, ["escalate", example, "--doses", "4", "--design", "mtpi2", "--target", "0.3", "--backfill"]
    )
    assert refused.exit_code == 2 and "backfill" in refused.stderr


def test_simulate_bf_boin_reports_escalation_and_backfill_patients_per_dose() -> None:
    args = ["simulate", "--design", "boin", "--target", "0.3", "--true", "0,0,0,0", "--backfill"]
    args += ["--backfill-cap", "8", "--backfill-size", "5", "--cohorts", "6", "--trials", "3"]
    shown = run_json(*args)
    # By hand: doses 1-3 each get one backfill cohort of 8 - 3 = 5 (the cap), the top dose none.
    assert shown["escalation_patients"] == [3.0, 3.0, 3.0, 9.0]
    assert shown["backfill_patients"] == [5.0, 5.0, 5.0, 0.0]
    assert shown["patients"] == [8.0, 8.0, 8.0, 9.0]
    assert (shown["selection_pct"], shown["stop_pct"], shown["mean_n"], shown["mean_backfill_n"]) == (
        [0.0, 0.0, 0.0, 100.0],
        0.0,
        33.0,
        15.0,
    )
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "backfill" in table.stdout


@pytest.mark.parametrize(
    ("extra", "field"),
    [(["--backfill-size", "2"], "backfill_size"), (["--backfill", "--backfill-size", "-1"], "backfill_size")],
)
def test_simulate_backfill_bad_input(extra: list[str], field: str) -> None:
    args = ["simulate", "--design", "boin", "--target", "0.3", "--true", "0.1,0.2", "--trials", "10", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert field in result.stderr
