import csv
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app
from cartrial.demo.study_run import StoryLine, StudyOptions, prepare_database, run_study
from cartrial.synthetic.study import select_scenario

runner = CliRunner()


def test_same_seed_same_study_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARTRIAL_DATABASE_URL", raising=False)
    first = runner.invoke(app, ["demo", "--seed", "7"])
    assert first.exit_code == 0, first.stdout
    log = list(csv.DictReader((tmp_path / "screening-log.csv").read_text().splitlines()))
    # the default database is the demo's own file: a second run overwrites it with the same study
    second = runner.invoke(app, ["demo", "--seed", "7"])
    assert second.exit_code == 0, second.stdout
    assert second.stdout == first.stdout
    assert f"Screened {len(log)} candidates" in first.stdout
    assert "audit verify: trail intact" in first.stdout
    assert "RP2D (MTD by the 3+3 rule): DL" in first.stdout
    with sqlite3.connect(tmp_path / "cartrial-demo.sqlite") as db:
        assert db.execute("select count(*) from subjects").fetchone() == (len(log),)
        signed = db.execute("select count(*) from src_decisions where signer_name = 'SRC chair'").fetchone()
    assert signed[0] >= 2


def test_a_toxic_top_dose_is_found_and_the_rp2d_is_below_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    prepare_database(url, overwrite=False)
    lines: list[StoryLine] = []
    run = run_study(url, StudyOptions(select_scenario("toxic-at-top", 4)), lines.append)
    summary = run.summary
    assert summary.audit_problems == () and summary.audit_entries > 100
    consort = dict(summary.consort)
    assert consort["screened"] == len(run.screenings)
    assert consort["enrolled"] == sum(c.enrolled for c in summary.cohorts) == consort["infused"]
    assert consort["with a DLT"] == sum(c.dlts for c in summary.cohorts) == len(summary.dlts) > 0
    assert all(c.enrolled == 3 for c in summary.cohorts)
    # The default seed's draws, walked by the 3+3 by hand: 0/3 at DL1 (level 2) and 0/3 at DL2 escalate;
    # 2/3 at DL3 is above the MTD, so DL2 is expanded to six; 1/6 there with DL3 too toxic stops the
    # study with DL2 as the MTD.
    assert [(c.dose_level, c.dlts) for c in summary.cohorts] == [(2, 0), (3, 0), (4, 2), (3, 1)]
    assert [d.action for d in summary.decisions] == ["stay", "escalate", "escalate", "de-escalate", "stop"]
    assert (summary.rp2d_level, summary.rp2d) == (3, "DL2 (50×10⁶)")
    assert summary.decisions[-1].action == "stop"
    assert [k.dose_label for k in summary.kinetics] == sorted({c.dose_label for c in summary.cohorts})
    assert lines[0].kind == "setup" and lines[-1].kind == "src"
    assert [line.at for line in lines] == sorted(line.at for line in lines)


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
