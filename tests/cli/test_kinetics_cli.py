import csv
import io
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
THEOPH = Path(__file__).parents[2] / "examples" / "kinetics" / "theoph.csv"
HEADER = "subject,dose,time,value,blq,lloq\n"


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "profiles.csv"
    path.write_text(header + body)
    return path


def test_json_rows_have_the_issue_shape() -> None:
    result = runner.invoke(app, ["nca", str(THEOPH), "--interval", "0,24", "--interval", "0,inf", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["method"] == "lin-up-log-down"
    rows = document["results"]
    assert all(set(row) == {"subject", "start", "end", "PPTESTCD", "value", "exclusion"} for row in rows)
    (auclast_24,) = [r for r in rows if r["subject"] == "1" and r["end"] == 24 and r["PPTESTCD"] == "AUCLST"]
    assert auclast_24["value"] == pytest.approx(92.365442, abs=5e-7)
    (lamz,) = [r for r in rows if r["subject"] == "1" and r["end"] is None and r["PPTESTCD"] == "LAMZ"]
    assert lamz["value"] == pytest.approx(0.048457, abs=5e-7)
    assert {r["PPTESTCD"] for r in rows} >= {"CMAX", "TMAX", "AUCINT", "AUCIFO", "AUCIFP", "LAMZHL", "R2ADJ"}


def test_default_intervals_and_csv_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "A,25,0,,1,1\nA,25,7,100,0,1\nA,25,14,50,0,1\nA,25,21,25,0,1\nA,25,28,,1,1\n")
    result = runner.invoke(app, ["nca", str(path), "--csv", "--method", "linear"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["start"], r["end"]) for r in rows} == {("0.0", "28.0"), ("0.0", "")}
    (aucint,) = [r for r in rows if r["PPTESTCD"] == "AUCINT"]
    # Linear: 0→7 350, 7→14 525, 14→21 262.5, then the trailing BLQ at 28 (PKNCA's aucint triangle) 87.5.
    assert float(aucint["value"]) == pytest.approx(350 + 525 + 262.5 + 87.5)
    (lamz,) = [r for r in rows if r["PPTESTCD"] == "LAMZ"]
    assert lamz["value"] == ""
    assert "too few points" in lamz["exclusion"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("A,25,0,1,0,\nA,25,2,3,0,\nA,25,1,2,0,\n", "row 3.time"),
        ("A,25,0,1,0,\nA,25,0,3,0,\n", "row 2.time: duplicate time 0"),
        ("A,25,0,-1,0,\n", "row 1.value: negative concentration"),
        ("A,25,0,5,1,2\n", "row 1.value: flagged BLQ but 5 is above the LLOQ 2"),
        ("A,25,0,x,0,\n", "row 1.value: not a number"),
        ("A,25,0,1,2,\n", "row 1.blq: must be 0 or 1"),
        ("A,25,0,1,0,\nA,50,1,1,0,\n", "row 2.dose"),
    ],
)
def test_bad_rows_exit_2_naming_row_and_field(tmp_path: Path, body: str, needle: str) -> None:
    result = runner.invoke(app, ["nca", str(write(tmp_path, body)), "--json"])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""


def test_bad_header_and_options_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["nca", str(write(tmp_path, "A,25,0,1\n", header="subject,dose,t,value\n"))])
    assert result.exit_code == 2
    assert "missing column(s) time, blq" in result.stderr
    good = str(THEOPH)
    assert runner.invoke(app, ["nca", good, "--method", "spline"]).exit_code == 2
    assert runner.invoke(app, ["nca", good, "--interval", "28,0"]).exit_code == 2
    assert runner.invoke(app, ["nca", good, "--interval", "0"]).exit_code == 2


def test_overrides_keep_the_reason(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.json"
    overrides.write_text(
        json.dumps([{"subject": "1", "include": [9.05, 12.12, 24.37], "reason": "terminal phase"}])
    )
    result = runner.invoke(
        app, ["nca", str(THEOPH), "--interval", "0,inf", "--lambda-z-overrides", str(overrides), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    (choice,) = [p for p in document["lambda_z"] if p["subject"] == "1"]
    assert choice == {
        "subject": "1",
        "start": 0.0,
        "end": None,
        "times": [9.05, 12.12, 24.37],
        "selection": "analyst",
        "reason": "terminal phase",
    }
    overrides.write_text(json.dumps([{"subject": "1", "include": [9.05]}]))
    bad = runner.invoke(app, ["nca", str(THEOPH), "--lambda-z-overrides", str(overrides)])
    assert bad.exit_code == 2
    assert "[0].reason" in bad.stderr


def test_summary_by_dose_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "profiles.svg"
    result = runner.invoke(
        app, ["nca", str(THEOPH), "--interval", "0,inf", "--summary", "--json", "--plot", str(plot)]
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    (cmax,) = [s for s in summary if s["dose"] == 4.4 and s["PPTESTCD"] == "CMAX"]
    # Subjects 2 and 4 received 4.40: Cmax 8.33 and 8.60.
    assert cmax["n"] == 2
    assert cmax["geometric_mean"] == pytest.approx((8.33 * 8.6) ** 0.5)
    assert plot.read_text().startswith("<?xml")
    table = runner.invoke(app, ["nca", str(THEOPH), "--summary"])
    assert table.exit_code == 0
    assert "Summary by dose level" in table.stdout


def test_settings_options_change_the_analysis(tmp_path: Path) -> None:
    path = write(tmp_path, "A,25,0,,1,1\nA,25,1,4,0,1\nA,25,2,,1,1\nA,25,3,2,0,1\nA,25,4,1,0,1\n")

    def auclast(*options: str) -> float:
        result = runner.invoke(app, ["nca", str(path), "--interval", "0,inf", "--json", *options])
        assert result.exit_code == 0, result.stderr
        (row,) = [r for r in json.loads(result.stdout)["results"] if r["PPTESTCD"] == "AUCLST"]
        return float(row["value"])

    # Middle BLQ dropped by default (log down 4 → 2 over two days), kept as 0 on request.
    assert auclast() == pytest.approx(2 + 5 / math.log(2))
    assert auclast("--blq-middle", "keep") == pytest.approx(5 + 1 / math.log(2))
    result = runner.invoke(app, ["nca", str(path), "--json", "--min-hl-points", "2", "--interval", "0,inf"])
    (lamz,) = [r for r in json.loads(result.stdout)["results"] if r["PPTESTCD"] == "LAMZ"]
    assert lamz["value"] == pytest.approx(math.log(2))
    assert runner.invoke(app, ["nca", str(path), "--blq-last", "zero"]).exit_code == 2
    assert runner.invoke(app, ["nca", str(path), "--adj-r2-factor", "2"]).exit_code == 2


def test_one_analyte_per_file_and_no_repeated_interval(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "A,25,0,1,0,,qPCR\nA,25,1,2,0,,qPCR\nA,25,0,3,0,,flow\n",
        header=HEADER.strip() + ",analyte\n",
    )
    result = runner.invoke(app, ["nca", str(path)])
    assert result.exit_code == 2
    assert "row 3.analyte: 'flow' differs from 'qPCR': one analyte per file" in result.stderr
    twice = runner.invoke(app, ["nca", str(THEOPH), "--interval", "0,24", "--interval", "0,24.0"])
    assert twice.exit_code == 2


MARKERS = Path(__file__).parents[2] / "examples" / "kinetics" / "markers.csv"


def test_pd_json_b_cells_and_change_from_baseline() -> None:
    result = runner.invoke(app, ["pd", str(MARKERS), "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    p01, p02 = document["b_cells"]
    assert (p01["depletion_day"], p01["reconstitution_day"], p01["aplasia_days"]) == (7, 180, 173)
    assert (p02["aplasia_days"], p02["aplasia_ongoing"]) == (83, True)
    (c3_m3,) = [c for c in document["change_from_baseline"] if c["marker"] == "C3" and c["visit"] == "M3"]
    assert c3_m3["change"] == pytest.approx(0.41)
    stricter = json.loads(runner.invoke(app, ["pd", str(MARKERS), "--json", "--threshold", "1"]).stdout)
    assert stricter["b_cells"][0]["depletion_day"] == 28


def test_pd_bad_rows_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "markers.csv"
    path.write_text(
        "subject,marker,unit,day,value\nA,CD19,cells/uL,7,1\nA,CD19,cells/uL,7,2\nA,CD19,/uL,9,-1\n"
    )
    result = runner.invoke(app, ["pd", str(path)])
    assert result.exit_code == 2
    assert "row 2.day: day 7 is not after day 7" in result.stderr
    assert "row 3.value: negative value -1" in result.stderr
