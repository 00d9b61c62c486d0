import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "study.sqlite"
    monkeypatch.setenv("CARTRIAL_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("CARTRIAL_PASSWORD", "a long enough password")
    return path


def test_upgrade_sites_users_and_audit_verify(database: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.stdout
    assert "active protocol relma-cel-sle-phase1@1.0" in result.stdout
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0  # idempotent
    assert runner.invoke(app, ["sites", "add", "S01", "Site one"]).exit_code == 0
    assert runner.invoke(app, ["sites", "add", "S01", "Again"]).exit_code == 4
    assert (
        runner.invoke(app, ["users", "add", "inv1", "--role", "investigator", "--site", "S01"]).exit_code == 0
    )
    bad_role = runner.invoke(app, ["users", "add", "x", "--role", "god"])
    assert bad_role.exit_code == 2 and "role" in bad_role.stderr
    no_site = runner.invoke(app, ["users", "add", "y", "--role", "coordinator"])
    assert no_site.exit_code == 2 and "site" in no_site.stderr
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0
    assert "audit trail intact" in verified.stdout


def test_audit_verify_names_an_edited_entry(database: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["sites", "add", "S01", "Site one"])
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER audit_entries_no_update")
        connection.execute("UPDATE audit_entries SET username = 'mallory' WHERE seq = 2")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 3
    assert "entry 2" in result.stderr and "edited" in result.stderr


def test_backup_and_restore_commands(database: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["sites", "add", "S01", "Site one"])
    saved = tmp_path / "saved.sqlite"
    assert runner.invoke(app, ["db", "backup", str(saved)]).exit_code == 0
    runner.invoke(app, ["sites", "add", "S02", "Site two"])
    refused = runner.invoke(app, ["db", "restore", str(saved)])
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert runner.invoke(app, ["db", "restore", str(saved), "--yes"]).exit_code == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT id FROM sites").fetchall() == [("S01",)]
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    missing = runner.invoke(app, ["db", "restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code == 2
