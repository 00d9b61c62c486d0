import csv
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app
from cartrial.demo.study_run import StoryLine, StudyOptions, StudyRun, prepare_database, run_study
from cartrial.synthetic.study import select_scenario
from tests.support import postgres

runner = CliRunner()


def test_demo_runs_a_study_into_its_own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARTRIAL_DATABASE_URL", raising=False)
    (tmp_path / "cartrial-demo.sqlite").write_bytes(b"an earlier demo")  # the demo's own file: overwritten
    result = runner.invoke(app, ["demo", "--seed", "7", "--max-subjects", "6"])
    assert result.exit_code == 0, result.stdout
    log = list(csv.DictReader((tmp_path / "screening-log.csv").read_text().splitlines()))
    text = " ".join(result.stdout.split())  # Rich wraps long lines
    assert f"Screened {len(log)} candidates" in text
    assert "cohort 1 opens at DL1 (25×10⁶)" in text
    # two cohorts of three, then the SRC stops the study rather than open a third
    assert "stop — the maximum of 6 subjects is reached" in text
    assert "RP2D (MTD by the 3+3 rule): none (no dose meets the design's rule for an MTD)" in text
    assert "audit verify: trail intact" in text
    with sqlite3.connect(tmp_path / "cartrial-demo.sqlite") as db:
        assert db.execute("select count(*) from subjects").fetchone() == (len(log),)
        signed = db.execute(
            "select action, follows_recommendation, signer_name from src_decisions"
        ).fetchall()
        assert db.execute("select count(*) from infusions").fetchone() == (6,)
    assert signed[-1] == ("stop", False, "SRC chair")
    assert all(follows for _, follows, _ in signed[:-1])
    assert "│ infused                      │  6 │" in result.stdout


def test_an_amended_study_ends_when_the_pool_runs_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'small.sqlite'}"
    # the first 25 candidates of a pool each carry a defect: 27 cannot fill a cohort of three
    options = StudyOptions(select_scenario("registered-safe", 4), protocol_version="2.0", pool_size=27)
    run = run_study(url, options, lambda _: None)
    assert run.summary.protocol_ref == "relma-cel-sle-phase1@2.0"  # the amendment, activated for the study
    assert {r.protocol for r in run.screenings} == {"relma-cel-sle-phase1@2.0"}
    consort = dict(run.summary.consort)
    assert consort["screened"] == 27 and consort["eligible"] < 3
    assert run.summary.end_reason == "the candidate pool is exhausted before the cohort could be filled"
    assert [d.action for d in run.summary.decisions] == ["stay"]
    assert run.summary.audit_problems == ()


@pytest.fixture(scope="module")
def toxic_at_top(tmp_path_factory: pytest.TempPathFactory) -> StudyRun:
    """The default seed's study under the toxic-at-top scenario, on SQLite."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'study.sqlite'}"
    prepare_database(url, overwrite=False)
    lines: list[StoryLine] = []
    run = run_study(url, StudyOptions(select_scenario("toxic-at-top", 4)), lines.append)
    assert lines[0].kind == "setup" and lines[-1].kind == "src"
    assert [line.at for line in lines] == sorted(line.at for line in lines)  # the clock never goes back
    return run


@pytest.fixture
def another_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new PostgreSQL database where the binaries are present, else another SQLite file."""
    if postgres.unavailable() is not None:
        return f"sqlite:///{tmp_path / 'again.sqlite'}"
    template: str = request.getfixturevalue("postgres_cluster")
    return postgres.create_database(template)


def test_same_seed_same_study_on_another_store(toxic_at_top: StudyRun, another_database: str) -> None:
    prepare_database(another_database, overwrite=False)
    again = run_study(another_database, StudyOptions(select_scenario("toxic-at-top", 4)), lambda _: None)
    assert again.summary == toxic_at_top.summary
    assert again.screenings == toxic_at_top.screenings


def test_a_toxic_top_dose_is_found_and_the_rp2d_is_below_it(toxic_at_top: StudyRun) -> None:
    summary = toxic_at_top.summary
    assert summary.audit_problems == () and summary.audit_entries > 100
    consort = dict(summary.consort)
    assert consort["screened"] == len(toxic_at_top.screenings)
    assert consort["enrolled"] == sum(c.enrolled for c in summary.cohorts) == consort["infused"]
    assert consort["with a DLT"] == sum(c.dlts for c in summary.cohorts) == len(summary.dlts) > 0
    assert all(c.enrolled == 3 for c in summary.cohorts)
    # The default seed's draws, walked by the 3+3 by hand: 0/3 at DL1 (level 2) and 0/3 at DL2 escalate;
    # 2/3 at DL3 is above the MTD, so DL2 is expanded to six; 1/6 there with DL3 too toxic stops the
    # study with DL2 as the MTD.
    assert [(c.dose_level, c.dlts) for c in summary.cohorts] == [(2, 0), (3, 0), (4, 2), (3, 1)]
    assert [d.action for d in summary.decisions] == ["stay", "escalate", "escalate", "de-escalate", "stop"]
    assert (summary.rp2d_level, summary.rp2d) == (3, "DL2 (50×10⁶)")
    assert [k.dose_label for k in summary.kinetics] == ["DL1", "DL2", "DL3"]
    assert [k.n for k in summary.kinetics] == [3, 6, 3]


def test_an_existing_database_other_than_the_demo_file_is_never_overwritten(tmp_path: Path) -> None:
    precious = tmp_path / "study.sqlite"
    precious.write_bytes(b"a real study")
    result = runner.invoke(app, ["demo", "--database-url", f"sqlite:///{precious}"])
    assert result.exit_code == 2
    assert "will not touch it" in result.stderr
    assert precious.read_bytes() == b"a real study"


def test_a_bad_scenario_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--scenario", "0.1,0.2", "--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}"]
    )
    assert result.exit_code == 2
    assert "2 probabilities for a protocol with 4 dose levels" in result.stderr
    assert not (tmp_path / "x.sqlite").exists()


def test_the_src_table_says_how_the_design_numbers_the_dose_levels() -> None:
    from cartrial.cli.demo_cmd import dose_level_legend
    from cartrial.data import embedded_protocol

    legend = dose_level_legend(embedded_protocol().dose_levels)
    assert legend.endswith("1 = DL-1 (15×10⁶), 2 = DL1 (25×10⁶), 3 = DL2 (50×10⁶), 4 = DL3 (100×10⁶)")
