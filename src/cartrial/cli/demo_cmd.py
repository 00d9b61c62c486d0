"""`cartrial demo`: the main job on the embedded default — a whole virtual multicenter study.

Three sites and their staff screen a synthetic candidate pool, the SRC signs each dose decision, the
subjects are enrolled, treated and followed through the DLT window, and the study runs until the design
stops and names the RP2D — every step through the services, into a new study database, on a simulated
clock. Everything is synthetic and seeded (`cartrial.synthetic`): no real patient data, and the same seed
gives the same study.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from cartrial.cli.common import fail_bad_input, stderr, stdout
from cartrial.cli.db_cmd import EXIT_AUDIT_BROKEN, EXIT_REFUSED
from cartrial.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cartrial.demo.study_run import StoryLine, StudySummary
    from cartrial.protocol import DoseLevel

STORY_STYLE = {
    "setup": "bold",
    "screen": "dim",
    "enroll": "cyan",
    "treat": "blue",
    "safety": "magenta",
    "src": "bold green",
    "end": "bold",
}


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    seed: int | None = typer.Option(None, "--seed", help="the study's seed (same seed, same study)"),
    scenario: str = typer.Option(
        "registered-safe",
        "--scenario",
        help="true DLT rate per dose: registered-safe, toxic-at-top, toxic-from-start, or 0.05,0.1,0.3,0.5",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="where the study is stored (default: CARTRIAL_DATABASE_URL, else a new cartrial-demo.sqlite)",
    ),
    log: Path = typer.Option(
        Path("screening-log.csv"), "--log", help="where to write the screening log (CSV)"
    ),
    protocol_version: str | None = typer.Option(
        None, "--protocol-version", help="embedded protocol version (default: the registered one)"
    ),
    pool_size: int | None = typer.Option(None, "--pool-size", help="synthetic candidates available"),
    max_subjects: int | None = typer.Option(
        None, "--max-subjects", help="stop enrolling beyond this many (default: the protocol's limit)"
    ),
) -> None:
    """Run a whole virtual study through the services and the store, and summarise it."""
    from cartrial.cli.screen_cmd import render_summary, screening_log_csv
    from cartrial.data import DEFAULT_PROTOCOL_VERSION, embedded_protocol, embedded_protocol_versions
    from cartrial.demo.study_run import (
        DEMO_DATABASE_URL,
        DEMO_POOL_SIZE,
        DEMO_STUDY_SEED,
        StudyOptions,
        prepare_database,
        run_study,
    )
    from cartrial.eligibility.summary import summarise_screening
    from cartrial.services.errors import ServiceError
    from cartrial.synthetic.study import select_scenario

    url = database_url or os.environ.get("CARTRIAL_DATABASE_URL") or DEMO_DATABASE_URL
    version = protocol_version or DEFAULT_PROTOCOL_VERSION
    try:
        if version not in embedded_protocol_versions():
            known = ", ".join(embedded_protocol_versions())
            raise InputError.single("--protocol-version", "version", f"{version!r} is not embedded ({known})")
        for name, value in (("--pool-size", pool_size), ("--max-subjects", max_subjects)):
            if value is not None and value < 1:
                raise InputError.single(name, name.removeprefix("--"), "must be at least 1")
        chosen = select_scenario(scenario, len(embedded_protocol(version).dose_levels))
        prepare_database(url, overwrite=url == DEMO_DATABASE_URL)
    except InputError as exc:
        fail_bad_input(exc)
    options = StudyOptions(
        scenario=chosen,
        seed=DEMO_STUDY_SEED if seed is None else seed,
        protocol_version=protocol_version,
        pool_size=pool_size or DEMO_POOL_SIZE,
        max_subjects=max_subjects,
    )
    stdout.print(f"A virtual study (seed {options.seed}) in {url}", highlight=False)
    with stdout.status("Setting up the study…") as status:

        def tell(line: StoryLine) -> None:
            style = STORY_STYLE[line.kind]
            stdout.print(
                f"[dim]day {line.study_day:>3} {line.at:%Y-%m-%d}[/]  [{style}]{line.text}[/]",
                highlight=False,
            )
            status.update(f"Study day {line.study_day}")

        try:
            run = run_study(url, options, tell)
        except ServiceError as exc:
            stderr.print(f"refused: {exc} (the demo needs a new, empty database)", highlight=False)
            raise typer.Exit(EXIT_REFUSED) from None
    log.write_text(screening_log_csv(list(run.screenings)), encoding="utf-8")
    render_summary(summarise_screening(list(run.screenings)), run.summary.protocol_ref)
    render_study(run.summary, embedded_protocol(version).dose_levels)
    stdout.print(f"Screening log written to {log}", highlight=False)


def _number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def dose_level_legend(levels: Sequence[DoseLevel]) -> str:
    """How the design's reasons number the dose levels (from 1 at the lowest, as the outcome notation)
    against the protocol's own labels, e.g. '1 = DL-1 (15×10⁶)', so no reader takes 'dose 2' for DL2."""
    names = ", ".join(f"{d.number} = {d.describe()}" for d in levels)
    return f"the design's reasons number dose levels from the lowest: {names}"


def render_study(summary: StudySummary, levels: Sequence[DoseLevel]) -> None:
    """The summary: CONSORT flow, cohorts, DLTs, SRC decisions, RP2D, kinetics and the audit trail."""
    consort = Table(title="Subject flow (CONSORT)")
    consort.add_column("stage")
    consort.add_column("n", justify="right")
    for stage, count in summary.consort:
        consort.add_row(stage, str(count))
    stdout.print(consort)

    cohorts = Table(title=f"Cohorts ({summary.design})")
    for column in ("cohort", "dose", "CAR+ T cells", "n", "evaluable", "DLTs", "pending", "SRC decision"):
        cohorts.add_column(column, justify="right")
    for c in summary.cohorts:
        cohorts.add_row(
            str(c.number),
            c.dose_label,
            f"{c.car_t_cells:,}",
            str(c.enrolled),
            str(c.evaluable),
            str(c.dlts),
            str(c.pending),
            c.src_decision or "—",
        )
    stdout.print(cohorts)

    if summary.dlts:
        dlts = Table(title="Dose-limiting toxicities (adjudicated by the safety core)")
        for column in ("subject", "site", "cohort", "dose", "rule met", "on day"):
            dlts.add_column(column)
        for row in summary.dlts:
            dlts.add_row(row.subject, row.site, str(row.cohort), row.dose_label, row.rule, f"{row.day:.1f}")
        stdout.print(dlts)
    else:
        stdout.print("No dose-limiting toxicity.")

    decisions = Table(title="SRC decisions (signed)", caption=dose_level_legend(levels))
    for column in ("day", "cohort", "decision", "next dose", "reason", "signed by"):
        decisions.add_column(column, overflow="fold")
    for d in summary.decisions:
        decisions.add_row(
            str(d.study_day),
            "—" if d.after_cohort is None else str(d.after_cohort),
            d.action,
            d.next_dose_label or "—",
            d.reason,
            d.signer,
        )
    stdout.print(decisions)

    kinetics = Table(title=f"CAR transgene NCA, days 0–{summary.nca_window_days} (copies/µg gDNA)")
    for column in ("dose", "n", "Cmax gmean", "Cmax gCV%", "Tmax median (d)", "AUC gmean", "AUC gCV%"):
        kinetics.add_column(column, justify="right")
    for k in summary.kinetics:
        kinetics.add_row(
            k.dose_label,
            str(k.n),
            _number(k.cmax_geometric_mean),
            _number(k.cmax_geometric_cv),
            _number(k.tmax_median, 1),
            _number(k.auc_geometric_mean),
            _number(k.auc_geometric_cv),
        )
    stdout.print(kinetics)

    stdout.print(f"Study ended on day {summary.study_days}: {summary.end_reason}", highlight=False)
    rp2d = summary.rp2d or "none (no dose meets the design's rule for an MTD)"
    stdout.print(f"[bold]RP2D (MTD by the {summary.design} rule): {rp2d}[/]", highlight=False)
    if summary.audit_problems:
        stdout.print(f"[bold red]audit trail broken[/]: {'; '.join(summary.audit_problems)}", highlight=False)
        raise typer.Exit(EXIT_AUDIT_BROKEN)
    stdout.print(f"audit verify: trail intact, {summary.audit_entries} entries verified", highlight=False)
