"""Scenario grids: parsing, validation naming the table and key, and per-cell seeds."""

from pathlib import Path

import pytest

from cartrial.errors import InputError
from cartrial.escalation.grid import parse_grid
from cartrial.escalation.simulation import simulate_operating_characteristics

EXAMPLE = Path(__file__).parents[2] / "examples" / "escalation" / "grid.toml"


def test_example_grid_has_every_design_with_every_scenario() -> None:
    cells = parse_grid(EXAMPLE.read_text())
    assert len(cells) == 4 * 3
    assert [c.label for c in cells[:4]] == ["3+3", "boin", "boin (extra safe)", "crm"]
    assert cells[3].settings.skeleton == (0.10, 0.20, 0.30, 0.45)
    assert cells[2].settings.extra_safe is True
    assert [c.seed for c in cells] == list(range(6, 18))
    assert {c.scenario for c in cells} == {"MTD at dose 4", "MTD at dose 2", "all too toxic"}


def test_a_cell_reproduces_the_same_simulation_run_alone() -> None:
    cell = parse_grid(EXAMPLE.read_text())[1]
    first = simulate_operating_characteristics(cell.settings, cell.true_tox, cell.cohorts, 2000, cell.seed)
    again = simulate_operating_characteristics(cell.settings, cell.true_tox, cell.cohorts, 2000, cell.seed)
    assert first == again


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("trials = 0\n[[designs]]\nname='boin'\n[[scenarios]]\ntrue=[0.1]", "trials"),
        ("[[designs]]\nname='boin'\ntarget=0.3\n", "scenarios"),
        ("[[designs]]\nname='boin'\ntarget=0.3\ncolour=1\n[[scenarios]]\ntrue=[0.1]", "designs[0].colour"),
        ("[[designs]]\nname='boin'\ntarget='x'\n[[scenarios]]\ntrue=[0.1]", "designs[0].target"),
        ("[[designs]]\nname='boin'\ntarget=1.5\n[[scenarios]]\ntrue=[0.1]", "designs[0].target"),
        ("[[designs]]\nname='boin'\ntarget=0.3\n[[scenarios]]\ntrue='high'", "scenarios[0].true"),
        ("banana = 1", "banana"),
        ("[[designs", "(file)"),
    ],
)
def test_bad_grids_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_grid(text)
    assert info.value.errors[0].field == field
