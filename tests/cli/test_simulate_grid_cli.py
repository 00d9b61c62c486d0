"""`cartrial simulate` for BOIN12 and for grids of every design, in-process and fanned out over Dask."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()

BOIN12 = ["simulate", "--design", "boin12", "--target", "0.35", "--phi-e", "0.25", "--n-earlystop", "12"]
TRUTH = ["--true", "0.05,0.10,0.20,0.30", "--true-efficacy", "0.2,0.4,0.5,0.5"]

GRID = """
trials = 200
seed = 3
cohorts = 4
accrual_days = 7

[[designs]]
name = "boin"
target = 0.3

[[designs]]
name = "boin"
label = "BF-BOIN"
target = 0.3
backfill = true

[[designs]]
name = "tite-boin"
target = 0.3

[[designs]]
name = "boin12"
target = 0.35
phi_e = 0.25

[[scenarios]]
name = "rising"
true = [0.05, 0.10, 0.20, 0.30]
efficacy = [0.2, 0.4, 0.5, 0.5]

[[scenarios]]
name = "toxic"
true = [0.40, 0.50, 0.60, 0.70]
efficacy = [0.3, 0.3, 0.3, 0.3]
"""


def invoke_json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_boin12_simulation_json_adds_responses_and_is_seeded(tmp_path: Path) -> None:
    args = [*BOIN12, *TRUTH, "--trials", "1000", "--seed", "9"]
    shown = invoke_json(*args)
    assert isinstance(shown, dict)
    assert set(shown) == {"selection_pct", "patients", "dlts", "responses", "stop_pct", "mean_n"}
    assert sum(shown["selection_pct"]) + shown["stop_pct"] == pytest.approx(100.0)
    assert all(r <= n for r, n in zip(shown["responses"], shown["patients"], strict=True))
    assert shown == invoke_json(*args)
    table = runner.invoke(app, [*args, "--plot", str(tmp_path / "obd.svg")])
    assert table.exit_code == 0 and "OBD" in table.stdout and "responses" in table.stdout
    assert (tmp_path / "obd.svg").read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([*BOIN12, "--true", "0.1,0.2"], "true_efficacy"),  # BOIN12 needs efficacy
        ([*BOIN12, "--true", "0.1,0.2", "--true-efficacy", "0.1"], "true_efficacy"),
        ([*BOIN12, "--true", "0.1,0.2", "--true-efficacy", "0.1,x"], "--true-efficacy"),
        (["simulate", "--design", "boin", "--target", "0.3", *TRUTH], "true_efficacy"),  # BOIN12's only
        (
            ["simulate", "--design", "boin", "--target", "0.3", "--true", "0.1", "--scheduler", "x"],
            "scheduler",
        ),
        (
            [
                "simulate",
                "--design",
                "tite-boin",
                "--target",
                "0.3",
                "--true",
                "0.1",
                "--accrual-days",
                "7",
                "--accrual",
                "weekly",
            ],
            "accrual",
        ),
    ],
)
def test_simulate_bad_input_names_the_field(args: list[str], field: str) -> None:
    result = runner.invoke(app, [*args, "--trials", "10"])
    assert result.exit_code == 2, result.output
    assert field in result.stderr


def test_grid_of_every_design_json_csv_and_table(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    out = tmp_path / "grid.csv"
    rows = invoke_json("simulate", str(grid), "--csv", str(out))
    assert isinstance(rows, list) and len(rows) == 8
    assert [(r["design"], r["scenario"]) for r in rows[:4]] == [
        ("boin", "rising"),
        ("BF-BOIN", "rising"),
        ("tite-boin", "rising"),
        ("boin12", "rising"),
    ]
    base = {
        "design",
        "scenario",
        "true",
        "efficacy",
        "selection_pct",
        "patients",
        "dlts",
        "stop_pct",
        "mean_n",
    }
    assert set(rows[0]) == base
    # BF-BOIN meets the grid's accrual rate: calendar time, plain BOIN's duration beside its own
    assert set(rows[1]) == base | {
        "escalation_patients",
        "backfill_patients",
        "mean_backfill_n",
        "mean_unevaluated_backfill_n",
        "mean_duration_days",
        "boin_mean_duration_days",
    }
    assert set(rows[2]) == base | {"mean_duration_days"}
    assert set(rows[3]) == base | {"responses"}
    assert rows[2]["mean_n"] == 12  # 4 cohorts x 3 patients, one by one
    with out.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 8 * 4
    assert list(table[0])[:5] == ["design", "scenario", "dose", "true", "efficacy"]
    assert {"responses", "backfill_patients", "mean_duration_days"} <= set(table[0])
    # a column a design lacks is empty; one it has carries its value
    assert (table[0]["responses"], table[0]["mean_duration_days"]) == ("", "")
    assert float(table[12]["responses"]) == rows[3]["responses"][0]
    assert float(table[8]["mean_duration_days"]) == rows[2]["mean_duration_days"]
    shown = runner.invoke(app, ["simulate", str(grid)])
    assert shown.exit_code == 0, shown.output
    # the table carries the duration and the responses where the designs have them
    assert f"{rows[2]['mean_duration_days']:.1f}" in shown.stdout
    assert f"{rows[3]['responses'][0]:.1f}" in shown.stdout


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("accrual_days = 7\n", ""), "designs[2].accrual_days"),
        (("efficacy = [0.3, 0.3, 0.3, 0.3]", ""), "scenarios[1].efficacy"),
        (("backfill = true", "backfill_size = 2"), "designs[1].backfill_size"),
    ],
)
def test_bad_grid_names_the_table_and_key(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace(*change))
    out = tmp_path / "grid.csv"
    result = runner.invoke(app, ["simulate", str(grid), "--csv", str(out)])
    assert result.exit_code == 2, result.output
    assert field in result.stderr and not out.exists()


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """An in-process Dask cluster: one worker thread, no dashboard."""
    cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None)  # type: ignore[no-untyped-call]
    with cluster:
        yield cluster.scheduler_address


def test_grid_on_a_dask_cluster_gives_the_in_process_numbers(tmp_path: Path, scheduler: str) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    local = invoke_json("simulate", str(grid))
    assert invoke_json("simulate", str(grid), "--scheduler", scheduler) == local


def test_bad_cell_on_a_dask_cluster_is_bad_input(tmp_path: Path, scheduler: str) -> None:
    # BF-BOIN's simulator itself refuses a maximum n, on the worker
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace("backfill = true", "backfill = true\nmax_n = 30"))
    local = runner.invoke(app, ["simulate", str(grid)])
    remote = runner.invoke(app, ["simulate", str(grid), "--scheduler", scheduler])
    assert local.exit_code == remote.exit_code == 2, remote.output
    assert remote.stderr == local.stderr and "max_n" in remote.stderr


def test_unreachable_scheduler_is_bad_input(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    result = runner.invoke(app, ["simulate", str(grid), "--scheduler", "nowhere://scheduler"])
    assert result.exit_code == 2 and "scheduler" in result.stderr


def test_grid_plot_draws_one_figure_per_scenario(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace("trials = 200", "trials = 20"))
    result = runner.invoke(app, ["simulate", str(grid), "--json", "--plot", str(tmp_path / "oc.png")])
    assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in tmp_path.glob("oc-*.png"))
    assert drawn == ["oc-1-rising.png", "oc-2-toxic.png"]
    assert (tmp_path / drawn[0]).read_bytes().startswith(b"\x89PNG")
    nowhere = runner.invoke(app, ["simulate", str(grid), "--plot", str(tmp_path / "no" / "oc.png")])
    assert nowhere.exit_code == 2 and "plot" in nowhere.stderr
