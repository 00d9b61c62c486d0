"""The escalation state file (`cartrial escalate STATE.json`) is read strictly from its JSON text: a value in
the wrong JSON type is refused, naming its field, never coerced ("2" read as dose 2, 0 as no efficacy)."""

import json
from pathlib import Path
from typing import Any

import pytest

from cartrial.cli.escalation_cmd import _load_state
from cartrial.errors import InputError
from tests.eligibility.test_strict_parsing import put

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "escalation"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # An integer only as a JSON integer: not its text, not a float (even a whole one), not a boolean.
        ("patients.0.dose_level", "2"),
        ("patients.0.dose_level", 1.5),
        ("patients.1.dose_level", 2.0),
        ("patients.2.dose_level", True),
        ("current_dose", "3"),
        ("current_dose", 3.0),
        # A boolean only as true/false.
        ("patients.0.efficacy", 0),
        ("patients.0.efficacy", 1),
        ("patients.3.backfill", "false"),
        # A number only as a JSON number: not its text, not a boolean.
        ("patients.4.followup_days", "2.5"),
        ("patients.4.followup_days", False),
        # A DLT status only as its text.
        ("patients.5.dlt", 0),
        ("patients.5.dlt", True),
    ],
)
def test_a_wrong_json_type_is_refused_naming_the_field(tmp_path: Path, path: str, value: Any) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(put(json.loads((EXAMPLES / "state.json").read_text()), path, value)))
    with pytest.raises(InputError) as exc:
        _load_state(state, None, n_doses=4)
    assert [error.field for error in exc.value.errors] == [path]


def test_a_whole_number_of_follow_up_days_is_a_number(tmp_path: Path) -> None:
    # The example's follow-up is written as JSON integers (28, 11): a JSON integer is a number.
    outcomes = _load_state(EXAMPLES / "state.json", None, n_doses=4)
    assert (outcomes.treated, outcomes.dlts) == ((0, 3, 3, 0), (0, 0, 1, 0))


def test_text_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"patients": [')
    with pytest.raises(InputError) as exc:
        _load_state(state, None, n_doses=4)
    assert [error.field for error in exc.value.errors] == ["(file)"]
    assert exc.value.errors[0].reason.startswith("not valid JSON: ")
