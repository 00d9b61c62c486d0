"""`cartrial simulate`: operating characteristics of one scenario or of a scenario grid."""

from __future__ import annotations

from collections.abc import Mapping
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
    from cartrial.escalation.simulation import OperatingCharacteristics


def _plot(
    path: Path,
    true_tox: tuple[float, ...],
    target: float | None,
    selection: tuple[float, ...],
    patients: tuple[float, ...],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doses = list(range(1, len(true_tox) + 1))
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.5))
    left.plot(doses, true_tox, marker="o")
    if target is not None:
        left.axhline(target, linestyle="--", color="grey", label=f"target {target:g}")
        left.legend()
    left.set(title="true DLT probability", xlabel="dose level", xticks=doses)
    middle.bar(doses, selection)
    middle.set(title="% selected as MTD", xlabel="dose level", xticks=doses)
    right.bar(doses, patients)
    right.set(title="mean patients treated", xlabel="dose level", xticks=doses)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _oc_json(oc: OperatingCharacteristics) -> dict[str, Any]:
    return {
        "selection_pct": list(oc.selection_pct),
        "patients": list(oc.patients),
        "dlts": list(oc.dlts),
        "stop_pct": oc.stop_pct,
        "mean_n": oc.mean_n,
    }


def _simulate_grid(grid: Path, as_json: bool, csv_file: Path | None) -> None:
    """Every cell of a scenario grid, with a progress bar on stderr; JSON, CSV or a table."""
    import csv

    from rich.progress import Progress

    from cartrial.escalation.grid import parse_grid
    from cartrial.escalation.simulation import simulate_operating_characteristics

    try:
        cells = parse_grid(read_text(grid), str(grid))
        rows = []
        with Progress(console=stderr, transient=True) as progress:
            task = progress.add_task("simulating", total=len(cells))
            for cell in cells:
                oc = simulate_operating_characteristics(
                    cell.settings, cell.true_tox, cell.cohorts, cell.trials, cell.seed
                )
                rows.append(
                    {
                        "design": cell.label,
                        "scenario": cell.scenario,
                        "true": list(cell.true_tox),
                        **_oc_json(oc),
                    }
                )
                progress.advance(task)
    except InputError as exc:
        fail_bad_input(exc)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "design",
                    "scenario",
                    "dose",
                    "true",
                    "selection_pct",
                    "patients",
                    "dlts",
                    "stop_pct",
                    "mean_n",
                ]
            )
            for row in rows:
                for k, p in enumerate(row["true"]):
                    writer.writerow(
                        [
                            row["design"],
                            row["scenario"],
                            k + 1,
                            p,
                            row["selection_pct"][k],
                            row["patients"][k],
                            row["dlts"][k],
                            row["stop_pct"],
                            row["mean_n"],
                        ]
                    )
    if as_json:
        print_json(rows)
        return
    shown = Table(title=f"{grid}: {len(rows)} cells")
    for column in (
        "design",
        "scenario",
        "% selected per dose",
        "mean patients per dose",
        "% stopped",
        "mean n",
    ):
        shown.add_column(column)
    for row in rows:
        shown.add_row(
            row["design"],
            row["scenario"],
            " ".join(f"{x:.1f}" for x in row["selection_pct"]),
            " ".join(f"{x:.1f}" for x in row["patients"]),
            f"{row['stop_pct']:.1f}",
            f"{row['mean_n']:.1f}",
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
    "backfill",
    "backfill_cap",
    "protocol_version",
    "protocol_file",
)
def simulate(
    grid: Path | None = typer.Argument(None, help="GRID.toml: designs x scenarios (see docs/escalation.md)"),
    true: str | None = typer.Option(
        None, "--true", help="true DLT probability per dose, e.g. 0.05,0.10,0.20,0.30"
    ),
    cohorts: int = typer.Option(10, "--cohorts", help="number of cohorts (ncohort)"),
    trials: int = typer.Option(10000, "--trials", help="number of simulated trials"),
    seed: int = typer.Option(6, "--seed", help="random seed"),
    start_dose: int | None = typer.Option(
        None, "--start-dose", help="start dose level (default 1, as get.oc)"
    ),
    *,
    flags: Mapping[str, Any],
    plot: Path | None = typer.Option(None, "--plot", help="draw the scenario to FILE.png or FILE.svg"),
    csv_file: Path | None = typer.Option(None, "--csv", help="with GRID.toml: also write the cells as CSV"),
    accrual_days: float | None = typer.Option(
        None, "--accrual-days", help="tite-crm: mean days between patients' arrivals"
    ),
    accrual: str = typer.Option("fixed", "--accrual", help="tite-crm: fixed or poisson arrivals"),
    backfill_size: int | None = typer.Option(
        None,
        "--backfill-size",
        help="BF-BOIN: backfill patients treated per escalation cohort (default: the cohort size)",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Operating characteristics of one scenario (flags, as R's get.oc) or of a GRID.toml (seeded).

    tite-crm is simulated in calendar time, one patient at a time, for cohorts x cohort size patients,
    and also reports the mean trial duration in days. With --backfill (BF-BOIN), each escalation
    cohort comes with a backfill cohort at the highest dose open to backfill; patients are reported
    per dose as escalation, backfill and total.
    """
    from dataclasses import replace

    from cartrial.escalation import override_settings, settings_from_protocol
    from cartrial.escalation.simulation import simulate_operating_characteristics

    if grid is not None:
        _simulate_grid(grid, as_json, csv_file)
        return
    try:
        if true is None:
            raise InputError.single("--true", "true", "give the true DLT probabilities, or a GRID.toml")
        true_tox = parse_rates(true, "--true")
        base = settings_from_protocol(load_protocol_option(flags["protocol_version"], flags["protocol_file"]))
        base = replace(base, n_doses=len(true_tox), start_dose=1)
        settings = override_settings(
            base, {**overrides_from_flags(flags), "start_dose": start_dose, "max_n": None}
        )
        duration: float | None = None
        if backfill_size is not None and not settings.backfill:
            raise InputError.single(
                "--backfill-size", "backfill_size", "applies only with --backfill (BF-BOIN)"
            )
        if settings.backfill:
            _simulate_backfill(settings, true_tox, cohorts, backfill_size, trials, seed, plot, as_json)
            return
        if settings.design in ("tite-crm", "tite-boin"):
            from cartrial.escalation.tite_simulation import simulate_tite_operating_characteristics

            if accrual_days is None:
                raise InputError.single(
                    "--accrual-days", "accrual_days", "tite-crm simulation needs the accrual rate"
                )
            if accrual not in ("fixed", "poisson"):
                raise InputError.single("--accrual", "accrual", f"must be fixed or poisson, got {accrual!r}")
            n_patients = cohorts * settings.cohort_size
            tite = simulate_tite_operating_characteristics(
                settings,
                true_tox,
                n_patients,
                accrual_days,
                "poisson" if accrual == "poisson" else "fixed",
                trials,
                seed,
            )
            oc, duration = tite.characteristics, tite.mean_duration_days
        else:
            oc = simulate_operating_characteristics(settings, true_tox, cohorts, trials, seed)
    except InputError as exc:
        fail_bad_input(exc)
    if plot is not None:
        check_plot_file(plot)
        _plot(plot, true_tox, settings.target, oc.selection_pct, oc.patients)
    if as_json:
        print_json(_oc_json(oc) if duration is None else {**_oc_json(oc), "mean_duration_days": duration})
        return
    shown = Table(title=f"{settings.design}: {trials} simulated trials, seed {seed}")
    for column in ("dose", "true DLT prob", "% selected", "mean patients", "mean DLTs"):
        shown.add_column(column, justify="right")
    for k, p in enumerate(true_tox):
        shown.add_row(
            str(k + 1), f"{p:g}", f"{oc.selection_pct[k]:.1f}", f"{oc.patients[k]:.2f}", f"{oc.dlts[k]:.2f}"
        )
    stdout.print(shown)
    stdout.print(f"stopped early (no dose selected): {oc.stop_pct:.1f}%; mean sample size {oc.mean_n:.2f}")
    if duration is not None:
        stdout.print(f"mean trial duration: {duration:.1f} days")


def _simulate_backfill(
    settings: DesignSettings,
    true_tox: tuple[float, ...],
    cohorts: int,
    backfill_size: int | None,
    trials: int,
    seed: int,
    plot: Path | None,
    as_json: bool,
) -> None:
    """BF-BOIN operating characteristics: patients per dose as escalation, backfill and total."""
    from cartrial.escalation.backfill_simulation import simulate_backfill_operating_characteristics

    size = settings.cohort_size if backfill_size is None else backfill_size
    try:
        oc = simulate_backfill_operating_characteristics(settings, true_tox, cohorts, size, trials, seed)
    except InputError as exc:
        fail_bad_input(exc)
    if plot is not None:
        check_plot_file(plot)
        _plot(plot, true_tox, settings.target, oc.selection_pct, oc.patients)
    if as_json:
        print_json(
            {
                "selection_pct": list(oc.selection_pct),
                "escalation_patients": list(oc.escalation_patients),
                "backfill_patients": list(oc.backfill_patients),
                "patients": list(oc.patients),
                "dlts": list(oc.dlts),
                "stop_pct": oc.stop_pct,
                "mean_n": oc.mean_n,
                "mean_backfill_n": oc.mean_backfill_n,
            }
        )
        return
    shown = Table(
        title=f"BF-BOIN: {trials} simulated trials, seed {seed}, backfill cohorts of up to {size} "
        f"(cap {settings.backfill_cap} per dose)"
    )
    columns = ("dose", "true DLT prob", "% selected", "escalation", "backfill", "mean patients", "mean DLTs")
    for column in columns:
        shown.add_column(column, justify="right")
    for k, p in enumerate(true_tox):
        shown.add_row(
            str(k + 1),
            f"{p:g}",
            f"{oc.selection_pct[k]:.1f}",
            f"{oc.escalation_patients[k]:.2f}",
            f"{oc.backfill_patients[k]:.2f}",
            f"{oc.patients[k]:.2f}",
            f"{oc.dlts[k]:.2f}",
        )
    stdout.print(shown)
    stdout.print(
        f"stopped early (no dose selected): {oc.stop_pct:.1f}%; mean sample size {oc.mean_n:.2f} "
        f"(backfill {oc.mean_backfill_n:.2f})"
    )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
