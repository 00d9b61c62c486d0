import json
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.app import app
from cartrial.data import embedded_protocol_text

runner = CliRunner()


def test_protocol_show_json_names_the_version() -> None:
    result = runner.invoke(app, ["protocol", "show", "--version", "2.0", "--json"])
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["version"] == "2.0"
    assert [d["car_t_cells"] for d in shown["dose_levels"]] == [
        25_000_000,
        50_000_000,
        75_000_000,
        100_000_000,
    ]


def test_protocol_show_table() -> None:
    result = runner.invoke(app, ["protocol", "show"])
    assert result.exit_code == 0
    assert "relma-cel-sle-phase1@1.0" in result.stdout
    assert "DL-1" in result.stdout


def test_validate_good_and_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(embedded_protocol_text())
    assert runner.invoke(app, ["protocol", "validate", str(good)]).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(embedded_protocol_text().replace("window_days = 28", "window_days = 0"))
    result = runner.invoke(app, ["protocol", "validate", str(bad)])
    assert result.exit_code == 2
    assert "dlt.window_days" in result.stderr
    missing = runner.invoke(app, ["protocol", "validate", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


def test_unknown_embedded_version_is_bad_input() -> None:
    result = runner.invoke(app, ["protocol", "show", "--version", "9.9"])
    assert result.exit_code == 2


def test_schema_protocol() -> None:
    result = runner.invoke(app, ["schema", "protocol"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "Protocol"
    assert runner.invoke(app, ["schema", "nope"]).exit_code == 2
