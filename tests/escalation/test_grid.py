"""Scenario grids: parsing, validation naming the table and key, per-cell seeds, and every design's cells
run by the one dispatch (simulate_cell) to the same numbers as its own simulator."""

from pathlib import Path

import pytest

from cartrial.errors import InputError
from cartrial.escalation.backfill_calendar import simulate_backfill_calendar_operating_characteristics
from cartrial.escalation.backfill_simulation import simulate_backfill_operating_characteristics
from cartrial.escalation.boin12_simulation import simulate_boin12_operating_characteristics
from cartrial.escalation.grid import parse_grid, simulate_grid_cell
from cartrial.escalation.run_cell import CellResult, RunSettings, Scenario, simulate_cell
from cartrial.escalation.simulation import simulate_operating_characteristics
from cartrial.escalation.tite_simulation import simulate_tite_operating_characteristics

EXAMPLE = Path(__file__).parents[2] / "examples" / "escalation" / "grid.toml"

EVERY_DESIGN = """
trials = 300
seed = 20
cohorts = 4
accrual_days = 7
accrual = "poisson"

[[designs]]
name = "boin"
target = 0.3

[[designs]]
name = "boin"
label = "BF-BOIN"
target = 0.3
backfill = true
backfill_size = 2

[[designs]]
name = "tite-boin"
target = 0.3
accrual_days = 3
accrual = "fixed"

[[designs]]
name = "tite-crm"
target = 0.3
skeleton = [0.1, 0.2, 0.3, 0.4]

[[designs]]
name = "boin12"
target = 0.35
phi_e = 0.25

[[scenarios]]
name = "A"
true = [0.05, 0.10, 0.20, 0.30]
efficacy = [0.2, 0.4, 0.5, 0.5]
start_dose = 2
"""


def test_example_grid_has_every_design_with_every_scenario() -> None:
    cells = parse_grid(EXAMPLE.read_text())
    assert len(cells) == 4 * 3
    assert [c.label for c in cells[:4]] == ["3+3", "boin", "boin (extra safe)", "crm"]
    assert cells[3].settings.skeleton == (0.10, 0.20, 0.30, 0.45)
    assert cells[2].settings.extra_safe is True
    assert [c.run.seed for c in cells] == list(range(6, 18))
    assert {c.scenario.name for c in cells} == {"MTD at dose 4", "MTD at dose 2", "all too toxic"}


def test_a_cell_reproduces_the_same_simulation_run_alone() -> None:
    cell = parse_grid(EXAMPLE.read_text())[1]
    tox, cohorts = cell.scenario.true_tox, cell.run.cohorts
    first = simulate_operating_characteristics(cell.settings, tox, cohorts, 2000, cell.run.seed)
    again = simulate_operating_characteristics(cell.settings, tox, cohorts, 2000, cell.run.seed)
    assert first == again


def test_every_design_in_one_grid_with_its_run_settings() -> None:
    cells = parse_grid(EVERY_DESIGN)
    assert [c.label for c in cells] == ["boin", "BF-BOIN", "tite-boin", "tite-crm", "boin12"]
    assert [c.run.seed for c in cells] == [20, 21, 22, 23, 24]
    assert all(c.settings.start_dose == 2 for c in cells)
    bf, tite_boin, tite_crm = cells[1].run, cells[2].run, cells[3].run
    assert (bf.backfill_size, cells[0].run.backfill_size) == (2, None)
    # the design's own accrual overrides the grid's
    assert (tite_boin.accrual_days, tite_boin.accrual) == (3.0, "fixed")
    assert (tite_crm.accrual_days, tite_crm.accrual) == (7.0, "poisson")
    assert cells[4].scenario.true_efficacy == (0.2, 0.4, 0.5, 0.5)


def test_each_cell_gives_its_own_simulators_numbers() -> None:
    boin, bf, tite_boin, tite_crm, boin12 = parse_grid(EVERY_DESIGN)
    tox = boin.scenario.true_tox
    oc = simulate_operating_characteristics(boin.settings, tox, 4, 300, 20)
    assert simulate_grid_cell(boin) == CellResult(
        oc.selection_pct, oc.patients, oc.dlts, oc.stop_pct, oc.mean_n
    )
    backfill = simulate_backfill_operating_characteristics(bf.settings, tox, 4, 2, 300, 21)
    result = simulate_grid_cell(bf)
    assert (result.backfill_patients, result.escalation_patients, result.mean_backfill_n) == (
        backfill.backfill_patients,
        backfill.escalation_patients,
        backfill.mean_backfill_n,
    )
    assert result.patients == backfill.patients and result.responses is None
    # TITE designs: cohorts x cohort size = 12 patients, one by one
    tite = simulate_tite_operating_characteristics(tite_boin.settings, tox, 12, 3.0, "fixed", 300, 22)
    result = simulate_grid_cell(tite_boin)
    assert result.mean_duration_days == tite.mean_duration_days
    assert result.selection_pct == tite.characteristics.selection_pct and result.mean_n == 12
    tite = simulate_tite_operating_characteristics(tite_crm.settings, tox, 12, 7.0, "poisson", 300, 23)
    assert simulate_grid_cell(tite_crm).mean_duration_days == tite.mean_duration_days
    efficacy = boin12.scenario.true_efficacy
    assert efficacy is not None
    obd = simulate_boin12_operating_characteristics(boin12.settings, tox, efficacy, 4, 300, 24)
    result = simulate_grid_cell(boin12)
    assert result.responses == obd.responses and result.selection_pct == obd.characteristics.selection_pct


def test_a_cell_reports_only_what_its_design_has() -> None:
    boin, bf, tite_boin, _, boin12 = parse_grid(EVERY_DESIGN.replace("trials = 300", "trials = 20"))
    keys = {"selection_pct", "patients", "dlts", "stop_pct", "mean_n"}
    assert set(simulate_grid_cell(boin).as_json()) == keys
    assert set(simulate_grid_cell(boin12).as_json()) == keys | {"responses"}
    assert set(simulate_grid_cell(tite_boin).as_json()) == keys | {"mean_duration_days"}
    assert list(simulate_grid_cell(bf).as_json()) == [
        "selection_pct",
        "escalation_patients",
        "backfill_patients",
        "patients",
        "dlts",
        "stop_pct",
        "mean_n",
        "mean_backfill_n",
    ]


def test_bf_boin_with_an_accrual_rate_runs_in_calendar_time() -> None:
    # The grid's accrual rate reaches a BF-BOIN design without backfill_size: Zhao et al. 2024's
    # calendar-time simulation, with plain BOIN's duration on the same arrivals beside.
    grid = EVERY_DESIGN.replace("backfill_size = 2\n", "")
    bf = parse_grid(grid)[1]
    assert (bf.run.accrual_days, bf.run.accrual, bf.run.backfill_size) == (7, "poisson", None)
    both = simulate_backfill_calendar_operating_characteristics(
        bf.settings, bf.scenario.true_tox, 4, 7.0, "poisson", bf.run.trials, bf.run.seed
    )
    result = simulate_grid_cell(bf)
    assert result.selection_pct == both.bf_boin.selection_pct
    assert result.backfill_patients == both.bf_boin.backfill_patients
    assert result.mean_duration_days == both.bf_boin.mean_duration_days
    assert result.boin_mean_duration_days == both.boin.mean_duration_days
    assert result.mean_unevaluated_backfill_n == both.bf_boin.mean_unevaluated_backfill_n
    # With backfill_size it stays cohort by cohort: the grid's accrual rate is not passed on.
    assert parse_grid(EVERY_DESIGN)[1].run.accrual_days is None


def test_the_dispatch_refuses_what_a_design_lacks() -> None:
    boin, _, tite_boin, _, boin12 = parse_grid(EVERY_DESIGN)
    no_efficacy = Scenario("A", boin12.scenario.true_tox)
    with pytest.raises(InputError) as info:
        simulate_cell(boin12.settings, no_efficacy, boin12.run)
    assert info.value.errors[0].field == "true_efficacy"
    with pytest.raises(InputError) as info:
        simulate_cell(tite_boin.settings, tite_boin.scenario, RunSettings(4, 10, 1))
    assert info.value.errors[0].field == "accrual_days"
    with pytest.raises(InputError) as info:
        simulate_cell(boin.settings, boin.scenario, RunSettings(4, 10, 1, backfill_size=2))
    assert info.value.errors[0].field == "backfill_size"
    _, bf, *_ = parse_grid(EVERY_DESIGN)
    with pytest.raises(InputError) as info:
        simulate_cell(bf.settings, bf.scenario, RunSettings(4, 10, 1, accrual_days=7.0, backfill_size=2))
    assert info.value.errors[0].field == "backfill_size"


GOOD_DESIGN = "[[designs]]\nname='boin'\ntarget=0.3\n"


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
        # scenarios: probabilities in [0, 1], efficacy as long as true, no unknown keys
        (GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1, 1.2]", "scenarios[0].true[1]"),
        (GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1, 0.2]\nefficacy=[0.3]", "scenarios[0].efficacy"),
        (GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1]\nefficacy=[-0.1]", "scenarios[0].efficacy[0]"),
        (GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1]\nefficacy=[true]", "scenarios[0].efficacy[0]"),
        (GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1]\ntox=[0.1]", "scenarios[0].tox"),
        # BOIN12 needs efficacy in every scenario it meets
        (
            "[[designs]]\nname='boin12'\ntarget=0.3\nphi_e=0.2\n[[scenarios]]\ntrue=[0.1]",
            "scenarios[0].efficacy",
        ),
        # TITE designs need an accrual: grid-wide or their own, positive; fixed or poisson
        ("[[designs]]\nname='tite-boin'\ntarget=0.3\n[[scenarios]]\ntrue=[0.1]", "designs[0].accrual_days"),
        ("accrual_days = 0\n" + GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1]", "accrual_days"),
        ("accrual = 'weekly'\n" + GOOD_DESIGN + "[[scenarios]]\ntrue=[0.1]", "accrual"),
        (GOOD_DESIGN + "accrual_days = -2\n[[scenarios]]\ntrue=[0.1]", "designs[0].accrual_days"),
        (GOOD_DESIGN + "accrual = 3\n[[scenarios]]\ntrue=[0.1]", "designs[0].accrual"),
        # backfill_size only with backfill = true, a positive integer
        (GOOD_DESIGN + "backfill_size = 2\n[[scenarios]]\ntrue=[0.1]", "designs[0].backfill_size"),
        (
            GOOD_DESIGN + "backfill = true\nbackfill_size = 0\n[[scenarios]]\ntrue=[0.1]",
            "designs[0].backfill_size",
        ),
        # a BF-BOIN design is cohort by cohort (backfill_size) or in calendar time (accrual_days)
        (
            GOOD_DESIGN + "backfill = true\nbackfill_size = 2\naccrual_days = 7\n[[scenarios]]\ntrue=[0.1]",
            "designs[0].backfill_size",
        ),
    ],
)
def test_bad_grids_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_grid(text)
    assert info.value.errors[0].field == field


def test_example_grid_of_every_design_runs_each_in_its_simulator() -> None:
    cells = parse_grid((EXAMPLE.parent / "grid-every-design.toml").read_text())
    assert len(cells) == 5 * 2
    bf, tite_crm, boin12 = cells[1], cells[3], cells[4]
    assert (bf.settings.backfill, bf.run.accrual_days, bf.run.backfill_size) == (True, 7, None)
    assert (tite_crm.run.accrual, tite_crm.settings.skeleton) == ("poisson", (0.10, 0.20, 0.30, 0.45))
    assert boin12.scenario.true_efficacy == (0.20, 0.40, 0.55, 0.55)
    quick = RunSettings(2, 20, 1, 7.0, "poisson")
    assert set(simulate_cell(bf.settings, bf.scenario, quick).as_json()) >= {"boin_mean_duration_days"}
