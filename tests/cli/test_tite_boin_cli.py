"""`cartrial escalate` with TITE-BOIN's method chosen in the protocol's design parameters."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cartrial.cli.app import app
from cartrial.data import embedded_protocol_text

runner = CliRunner()


def protocol_with(tmp_path: Path, parameters: str) -> Path:
    text = embedded_protocol_text().replace(
        '[design]\nname = "3+3"\ncohort_size = 3\n',
        '[design]\nname = "tite-boin"\ncohort_size = 3\ntarget_dlt_rate = 0.3\n'
        f"parameters = {{ {parameters} }}\n",
    )
    assert "tite-boin" in text
    path = tmp_path / "protocol.toml"
    path.write_text(text)
    return path


def test_the_protocol_chooses_yuan_2018_or_lin_and_yuan_2020(tmp_path: Path) -> None:
    # At dose 2: 1 DLT and 1 without among the completed, 2 pending just enrolled. Yuan et al. 2018:
    # 1/4 is below the target, so no de-escalation (imputed 0.561 >= lambda_d notwithstanding);
    # Lin & Yuan 2020: 1 DLT / ESS 2 = 0.5 >= lambda_d de-escalates.
    patients = [{"dose_level": 2, "dlt": "yes"}, {"dose_level": 2, "dlt": "no"}]
    patients += [{"dose_level": 2, "dlt": "pending", "followup_days": 0}] * 2
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"patients": patients}))
    decisions = {}
    for method in ("yuan2018", "lin-yuan2020"):
        protocol = protocol_with(tmp_path, f'tite_method = "{method}"')
        result = runner.invoke(app, ["escalate", str(state), "--protocol-file", str(protocol), "--json"])
        assert result.exit_code == 0, result.output
        decisions[method] = json.loads(result.stdout)
    assert (decisions["yuan2018"]["decision"], decisions["yuan2018"]["next_dose"]) == ("stay", 2)
    assert decisions["yuan2018"]["details"]["standardized_followup"] == 0.0
    assert (decisions["lin-yuan2020"]["decision"], decisions["lin-yuan2020"]["next_dose"]) == (
        "de-escalate",
        1,
    )


def test_an_unknown_tite_method_exits_2_naming_it(tmp_path: Path) -> None:
    protocol = protocol_with(tmp_path, 'tite_method = "yuan2019"')
    result = runner.invoke(app, ["escalate", "--protocol-file", str(protocol)])
    assert result.exit_code == 2 and "tite_method" in result.stderr


def test_the_tite_method_flag_overrides_the_protocol(tmp_path: Path) -> None:
    # The same data as above: the protocol says yuan2018, the flag says lin-yuan2020 and wins.
    patients = [{"dose_level": 2, "dlt": "yes"}, {"dose_level": 2, "dlt": "no"}]
    patients += [{"dose_level": 2, "dlt": "pending", "followup_days": 0}] * 2
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"patients": patients}))
    protocol = protocol_with(tmp_path, 'tite_method = "yuan2018"')
    args = ["escalate", str(state), "--protocol-file", str(protocol), "--json"]
    flagged = runner.invoke(app, [*args, "--tite-method", "lin-yuan2020"])
    assert flagged.exit_code == 0, flagged.output
    assert json.loads(flagged.stdout)["decision"] == "de-escalate"
    bad = runner.invoke(app, [*args, "--tite-method", "yuan"])
    assert bad.exit_code == 2 and "tite_method" in bad.stderr
