import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cartrial.cli.app import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "response" / "subject-visits.json"


def by_visit(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["visit"]: v for v in shown["visits"]}


def test_response_json_gives_every_visit_with_components() -> None:
    result = runner.invoke(app, ["response", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    visits = by_visit(shown)
    assert list(visits) == ["baseline", "M1", "M3", "M6", "M9"]
    results = {name: [v[c]["result"] for c in ("sri", "lldas", "doris")] for name, v in visits.items()}
    assert results == {
        "baseline": ["not_met", "not_met", "not_met"],
        "M1": ["met", "not_met", "not_met"],
        "M3": ["met", "met", "not_met"],
        "M6": ["met", "met", "met"],
        "M9": ["unknown", "unknown", "unknown"],
    }
    m1 = visits["M1"]
    assert m1["scores"][0] == {
        "score": "SELENA-SLEDAI",
        "baseline": 14,
        "visit": 8,
        "change": -6,
        "reason": "exact",
    }
    pga = next(c for c in m1["sri"]["components"] if c["name"] == "c_pga_no_worsening")
    assert (pga["result"], pga["value"]) == ("met", -0.9)
    # M3: PGA 0.5 and prednisolone 7.5 mg meet LLDAS but not DORIS.
    assert [c["name"] for c in visits["M3"]["doris"]["components"] if c["result"] == "not_met"] == [
        "pga_below_0.5",
        "prednisolone_at_most_5mg",
    ]
    m9 = visits["M9"]
    assert m9["scores"][0]["visit"] == {"low": 0, "high": 12}
    assert m9["scores"][1]["change"] is None
    assert "urinary_casts" in m9["sri"]["components"][0]["reason"]


def test_response_text_and_settings() -> None:
    text = runner.invoke(app, ["response", str(EXAMPLE)])
    assert text.exit_code == 0 and "SRI-4: met" in text.stdout
    strict = runner.invoke(
        app, ["response", str(EXAMPLE), "--json", "--sri", "6", "--car-t", "investigational"]
    )
    assert strict.exit_code == 0, strict.output
    shown = json.loads(strict.stdout)
    assert shown["settings"]["car_t"] == "investigational"
    m6 = by_visit(shown)["M6"]
    assert m6["sri"]["criterion"] == "SRI-6"
    assert (m6["lldas"]["result"], m6["doris"]["result"]) == ("not_met", "not_met")
    assert by_visit(shown)["baseline"]["doris"]["components"][3]["result"] == "met"
    two_k = runner.invoke(app, ["response", str(EXAMPLE), "--json", "--sri-sledai", "SLEDAI-2K"])
    m9 = by_visit(json.loads(two_k.stdout))["M9"]["sri"]
    assert (m9["result"], m9["components"][0]["reason"]) == (
        "unknown",
        "SLEDAI-2K not assessed at this visit",
    )


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("visits", 2, "pga"), 3.5, "visits.2.pga"),
        (("visits", 2, "day"), 28, "visits.2.day"),
        (("visits", 1, "bilag", "renal"), "F", "visits.1.bilag.renal"),
    ],
)
def test_bad_input_is_exit_2_naming_the_field(
    tmp_path: Path, path: tuple[Any, ...], value: Any, field: str
) -> None:
    data = json.loads(EXAMPLE.read_text())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bad = tmp_path / "visits.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(app, ["response", str(bad), "--json"])
    assert result.exit_code == 2
    assert field in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "options",
    [["--sri", "9"], ["--car-t", "sometimes"], ["--glucocorticoid-table", "EU"], ["--sri-sledai", "SLAM"]],
)
def test_bad_settings_are_exit_2(options: list[str]) -> None:
    result = runner.invoke(app, ["response", str(EXAMPLE), *options])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_schema_response_visits() -> None:
    result = runner.invoke(app, ["schema", "response-visits"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "ResponseVisits" and "visits" in schema["properties"]
