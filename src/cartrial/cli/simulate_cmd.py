"""`cartrial simulate`: operating characteristics of one scenario or of a scenario grid.

Both run through `cartrial.escalation.run_cell.simulate_cell`, which picks the design's simulator; a
grid's cells may be fanned out over a Dask cluster (`--scheduler ADDR`), each cell with its own seed,
so the numbers are those of the in-process run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from cartrial.cli.common import fail_bad_input, print_json, read_text, stderr, stdout
from cartrial.cli.design_flags import (
    JSON_OPTION,
    check_plot_file,
    overrides_from_flags,
    parse_rates,
    with_design_flags,
)
from cartrial.cli.protocol_cmd import load_protocol_option
from cartrial.errors import InputError

# The engine imports numba and scipy; it is imported inside each command so `cartrial --help` stays fast.
if TYPE_CHECKING:
    from cartrial.escalation import DesignSettings
    from cartrial.escalation.grid import GridCell
    from cartrial.escalation.run_cell import CellResult, Scenario


# Column headings of the per-dose series (run_cell.CELL_SERIES) and the scalars' sentences.
_SERIES_HEADINGS = {
    "selection_pct": "% selected",
    "escalation_patients": "escalation",
    "backfill_patients": "backfill",
    "patients": "mean patients",
    "dlts": "mean DLTs",
    "responses": "mean responses",
}
_SCALAR_WORDS = {
    "stop_pct": "stopped early (no dose selected): {:.1f}%",
    "mean_n": "mean sample size {:.2f}",
    "mean_backfill_n": "of which backfill {:.2f}",
    "mean_unevaluated_backfill_n": "backfill patients still in their window at the end {:.2f}",
    "mean_duration_days": "mean trial duration {:.1f} days",
    "boin_mean_duration_days": "plain BOIN on the same arrivals {:.1f} days",
}


def _draw_scenario(
    path: Path, scenario: Scenario, designs: Sequence[tuple[str, DesignSettings, CellResult]]
) -> None:
    """One scenario's figure: the true DLT (and response) curves with each design's target dashed, and
    per dose, side by side for each design, the % selected and the mean patients."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doses = list(range(1, len(scenario.true_tox) + 1))
    width = 0.8 / len(designs)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4))
    left.plot(doses, scenario.true_tox, marker="o", label="DLT")
    if scenario.true_efficacy is not None:
        left.plot(doses, scenario.true_efficacy, marker="s", label="response")
    for target in sorted({s.target for _, s, _ in designs if s.target is not None}):
        left.axhline(target, linestyle="--", color="grey", linewidth=0.8)
    left.legend()
    left.set(title="true probability (dashed: target)", xlabel="dose level", xticks=doses)
    for j, (label, _, result) in enumerate(designs):
        at = [d - 0.4 + width * (j + 0.5) for d in doses]
        middle.bar(at, result.selection_pct, width, label=label)
        right.bar(at, result.patients, width, label=label)
    selected_as = sorted({_selected_as(s.design) for _, s, _ in designs})
    middle.set(title=f"% selected as {' or '.join(selected_as)}", xlabel="dose level", xticks=doses)
    right.set(title="mean patients treated", xlabel="dose level", xticks=doses)
    right.legend(fontsize="small")
    fig.suptitle(scenario.name)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_grid(path: Path, cells: Sequence[GridCell], results: Sequence[CellResult]) -> list[Path]:
    """One figure per scenario, `<stem>-<k>-<name><suffix>` beside `path`."""
    import re

    by_scenario: dict[str, list[tuple[str, DesignSettings, CellResult]]] = {}
    scenarios: dict[str, Scenario] = {}
    for cell, result in zip(cells, results, strict=True):
        by_scenario.setdefault(cell.scenario.name, []).append((cell.label, cell.settings, result))
        scenarios.setdefault(cell.scenario.name, cell.scenario)
    written = []
    for k, (name, designs) in enumerate(by_scenario.items(), start=1):
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
        target = path.with_name(f"{path.stem}-{k}{'-' + slug if slug else ''}{path.suffix}")
        _draw_scenario(target, scenarios[name], designs)
        written.append(target)
    return written


def _selected_as(design: str) -> str:
    return "OBD" if design == "boin12" else "MTD"


def _run_on_cluster(cells: Sequence[GridCell], address: str, advance: Callable[[], None]) -> list[CellResult]:
    """Every cell on the Dask cluster at `address`, results in the cells' order; a cell's bad input
    comes back as the InputError it raised on the worker."""
    from distributed import Client, as_completed

    from cartrial.escalation.grid import simulate_grid_cell

    try:
        client = Client(address, timeout=10)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError.single(
            "--scheduler", "scheduler", f"cannot reach a Dask scheduler at {address}: {exc}"
        ) from exc
    with client:
        futures = client.map(simulate_grid_cell, list(cells), pure=False)
        for _ in as_completed(futures):  # type: ignore[no-untyped-call]
            advance()
        gathered = client.gather(futures)  # type: ignore[no-untyped-call]
    return list(gathered)


def _run_cells(cells: Sequence[GridCell], scheduler: str | None) -> list[CellResult]:
    """Every cell, in-process or on a cluster, with a progress bar on stderr; the first bad cell's
    input is raised."""
    from rich.progress import Progress

    from cartrial.escalation.grid import simulate_grid_cell

    with Progress(console=stderr, transient=True) as progress:
        task = progress.add_task("simulating", total=len(cells))
        if scheduler is not None:
            return _run_on_cluster(cells, scheduler, lambda: progress.advance(task))
        results = []
        for cell in cells:
            results.append(simulate_grid_cell(cell))
            progress.advance(task)
        return results


def _grid_rows(cells: Sequence[GridCell], results: Sequence[CellResult]) -> list[dict[str, Any]]:
    rows = []
    for cell, result in zip(cells, results, strict=True):
        truth: dict[str, Any] = {"true": list(cell.scenario.true_tox)}
        if cell.scenario.true_efficacy is not None:
            truth["efficacy"] = list(cell.scenario.true_efficacy)
        rows.append({"design": cell.label, "scenario": cell.scenario.name, **truth, **result.as_json()})
    return rows


def _write_grid_csv(path: Path, cells: Sequence[GridCell], results: Sequence[CellResult]) -> None:
    """One row per cell and dose; columns a design lacks are left empty."""
    import csv

    from cartrial.escalation.run_cell import CELL_SCALARS, CELL_SERIES

    series = [name for name in CELL_SERIES if any(name in r.per_dose() for r in results)]
    scalars = [name for name in CELL_SCALARS if any(name in r.scalars() for r in results)]
    efficacy = any(c.scenario.true_efficacy is not None for c in cells)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["design", "scenario", "dose", "true", *(["efficacy"] if efficacy else []), *series, *scalars]
        )
        for cell, result in zip(cells, results, strict=True):
            per_dose, values = result.per_dose(), result.scalars()
            for k, p in enumerate(cell.scenario.true_tox):
                eff = cell.scenario.true_efficacy
                writer.writerow(
                    [
                        cell.label,
                        cell.scenario.name,
                        k + 1,
                        p,
                        *([("" if eff is None else eff[k])] if efficacy else []),
                        *(per_dose[name][k] if name in per_dose else "" for name in series),
                        *(values.get(name, "") for name in scalars),
                    ]
                )


def _simulate_grid(
    grid: Path, as_json: bool, csv_file: Path | None, scheduler: str | None, plot: Path | None
) -> None:
    """Every cell of a scenario grid; JSON, CSV or a table, and a figure per scenario."""
    from cartrial.escalation.grid import parse_grid

    if plot is not None:
        check_plot_file(plot)
        if not plot.parent.is_dir():
            fail_bad_input(InputError.single("--plot", "plot", f"no such directory: {plot.parent}"))
    try:
        cells = parse_grid(read_text(grid), str(grid))
        results = _run_cells(cells, scheduler)
    except InputError as exc:
        fail_bad_input(exc)
    if csv_file is not None:
        _write_grid_csv(csv_file, cells, results)
    if plot is not None:
        written = _plot_grid(plot, cells, results)
        stderr.print("figures: " + ", ".join(str(p) for p in written), highlight=False)
    if as_json:
        print_json(_grid_rows(cells, results))
        return
    shown = Table(
        title=f"{grid}: {len(cells)} cells", caption="per-dose columns: dose 1 at the top of each cell"
    )
    extra = {
        name: heading
        for name, heading in (("backfill_patients", "backfill"), ("responses", "responses"))
        if any(name in r.per_dose() for r in results)
    }
    duration = any(r.mean_duration_days is not None for r in results)
    for column in ("design", "scenario"):
        shown.add_column(column, overflow="fold")
    for column in ("% selected", "mean patients", *extra.values(), "% stopped", "mean n"):
        shown.add_column(column, justify="right")
    if duration:
        shown.add_column("mean days", justify="right")
    for cell, result in zip(cells, results, strict=True):
        per_dose = result.per_dose()
        shown.add_row(
            cell.label,
            cell.scenario.name,
            *("\n".join(f"{x:.1f}" for x in per_dose[name]) for name in ("selection_pct", "patients")),
            *("\n".join(f"{x:.1f}" for x in per_dose[name]) if name in per_dose else "" for name in extra),
            f"{result.stop_pct:.1f}",
            f"{result.mean_n:.1f}",
            *(
                [f"{result.mean_duration_days:.1f}" if result.mean_duration_days is not None else ""]
                * duration
            ),
        )
    stdout.print(shown)


@with_design_flags(
    "design",
    "target",
    "cohort_size",
    "cutoff_eli",
    "extra_safe",
    "n_earlystop",
    "epsilon1",
    "epsilon2",
    "skeleton",
    "skeleton_halfwidth",
    "skeleton_nu",
    "model",
    "prior_var",
    "intercept",
    "phi_e",
    "backfill",
    "backfill_cap",
    "tite_method",
    "protocol_version",
    "protocol_file",
)
def simulate(
    grid: Path | None = typer.Argument(None, help="GRID.toml: designs x scenarios (see docs/simulation.md)"),
    true: str | None = typer.Option(
        None, "--true", help="true DLT probability per dose, e.g. 0.05,0.10,0.20,0.30"
    ),
    true_efficacy: str | None = typer.Option(
        None, "--true-efficacy", help="boin12: true response probability per dose, e.g. 0.2,0.4,0.5,0.5"
    ),
    cohorts: int = typer.Option(10, "--cohorts", help="number of cohorts (ncohort)"),
    trials: int = typer.Option(10000, "--trials", help="number of simulated trials"),
    seed: int = typer.Option(6, "--seed", help="random seed"),
    start_dose: int | None = typer.Option(
        None, "--start-dose", help="start dose level (default 1, as get.oc)"
    ),
    *,
    flags: Mapping[str, Any],
    plot: Path | None = typer.Option(
        None,
        "--plot",
        help="draw the scenario to FILE.png or FILE.svg (with GRID.toml: FILE-k-name.png per scenario)",
    ),
    csv_file: Path | None = typer.Option(None, "--csv", help="with GRID.toml: also write the cells as CSV"),
    accrual_days: float | None = typer.Option(
        None,
        "--accrual-days",
        help="tite-crm, tite-boin, and --backfill in calendar time: mean days between patients' arrivals",
    ),
    accrual: str = typer.Option("fixed", "--accrual", help="with --accrual-days: fixed or poisson arrivals"),
    backfill_size: int | None = typer.Option(
        None,
        "--backfill-size",
        help="BF-BOIN cohort by cohort: backfill patients per escalation cohort (default: the cohort size)",
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="with GRID.toml: run the cells on the Dask scheduler at ADDR"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Operating characteristics of one scenario (flags, as R's get.oc) or of a GRID.toml (seeded).

    tite-crm and tite-boin are simulated in calendar time, one patient at a time, for cohorts x
    cohort size patients, and also report the mean trial duration in days. With --backfill (BF-BOIN),
    each escalation cohort comes with a backfill cohort at the highest dose open to backfill; patients
    are reported per dose as escalation, backfill and total. With --backfill and --accrual-days, BF-BOIN
    runs in calendar time (Zhao et al. 2024): patients arriving while a cohort is pending are
    backfilled up to the cap, and plain BOIN's duration on the same arrivals is shown beside.
    boin12 takes --true-efficacy too, selects the optimal biological dose and reports mean responses
    per dose.
    """
    from dataclasses import replace

    from cartrial.escalation import override_settings, settings_from_protocol
    from cartrial.escalation.run_cell import RunSettings, Scenario, check_accrual, simulate_cell

    if grid is not None:
        _simulate_grid(grid, as_json, csv_file, scheduler, plot)
        return
    try:
        if scheduler is not None:
            raise InputError.single("--scheduler", "scheduler", "fans out the cells of a GRID.toml only")
        if true is None:
            raise InputError.single("--true", "true", "give the true DLT probabilities, or a GRID.toml")
        true_tox = parse_rates(true, "--true")
        base = settings_from_protocol(load_protocol_option(flags["protocol_version"], flags["protocol_file"]))
        base = replace(base, n_doses=len(true_tox), start_dose=1)
        settings = override_settings(
            base, {**overrides_from_flags(flags), "start_dose": start_dose, "max_n": None}
        )
        if true_efficacy is not None and settings.design != "boin12":
            raise InputError.single("--true-efficacy", "true_efficacy", "is read by boin12 only")
        efficacy = None if true_efficacy is None else parse_rates(true_efficacy, "--true-efficacy")
        scenario = Scenario("simulated scenario", true_tox, efficacy)
        run = RunSettings(
            cohorts, trials, seed, accrual_days, check_accrual(accrual, "--accrual"), backfill_size
        )
        result = simulate_cell(settings, scenario, run)
    except InputError as exc:
        fail_bad_input(exc)
    if plot is not None:
        check_plot_file(plot)
        _draw_scenario(plot, scenario, [(settings.design, settings, result)])
    if as_json:
        print_json(result.as_json())
        return
    kind = f"{settings.design} with backfill cohorts (BF-BOIN)" if settings.backfill else settings.design
    shown = Table(title=f"{kind}: {trials} simulated trials, seed {seed}")
    per_dose = result.per_dose()
    headings = [_SERIES_HEADINGS[name] for name in per_dose]
    headings[0] = f"% selected as {_selected_as(settings.design)}"
    truth = {"true DLT prob": true_tox, **({"true response prob": efficacy} if efficacy is not None else {})}
    for column in ("dose", *truth, *headings):
        shown.add_column(column, justify="right")
    for k in range(len(true_tox)):
        shown.add_row(
            str(k + 1),
            *(f"{values[k]:g}" for values in truth.values()),
            *(
                f"{values[k]:.1f}" if name == "selection_pct" else f"{values[k]:.2f}"
                for name, values in per_dose.items()
            ),
        )
    stdout.print(shown)
    stdout.print("; ".join(_SCALAR_WORDS[name].format(value) for name, value in result.scalars().items()))


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
