"""`cartrial escalate | boundaries | select-mtd | simulate | pathways`: the dose-escalation engine."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from cartrial.cli.common import fail_bad_input, print_json, read_text, stderr, stdout
from cartrial.cli.protocol_cmd import load_protocol_option
from cartrial.errors import InputError
from cartrial.protocol import field_errors_from_validation

# The engine imports scipy; it is imported inside each command so `cartrial --help` stays fast.
if TYPE_CHECKING:
    from cartrial.escalation import DesignSettings, DoseOutcomes
    from cartrial.escalation.pathways import PathwayNode
    from cartrial.escalation.simulation import OperatingCharacteristics

DESIGN_HELP = "design: 3+3, boin, mtpi2, i3+3, crm, tite-crm or boin12 (default: the protocol's)"


# Flags that choose where the settings come from rather than override one of them.
_SOURCE_FLAGS = ("doses", "protocol_version", "protocol_file")


def _overrides(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The design flags as `override_settings` takes them (the skeleton parsed)."""
    overrides = {name: value for name, value in flags.items() if name not in _SOURCE_FLAGS}
    if overrides.get("skeleton") is not None:
        overrides["skeleton"] = _parse_rates(overrides["skeleton"], "--skeleton")
    return overrides


def _settings(flags: Mapping[str, Any]) -> DesignSettings:
    """Settings from the protocol (or `--doses N`, starting at level 1), overridden by the flags."""
    from cartrial.escalation import DesignSettings, override_settings, settings_from_protocol

    if flags["doses"] is not None:
        base = DesignSettings(design=flags["design"] or "3+3", n_doses=flags["doses"], start_dose=1)
    else:
        base = settings_from_protocol(load_protocol_option(flags["protocol_version"], flags["protocol_file"]))
    return override_settings(base, _overrides(flags))


def _settings_and_state(
    flags: Mapping[str, Any], state_file: Path | None, outcomes: str | None
) -> tuple[DesignSettings, DoseOutcomes]:
    """The design settings and the patients so far (STATE.json or the outcome notation)."""
    settings = _settings(flags)
    return settings, _load_state(state_file, outcomes, settings.n_doses, settings.design == "boin12")


def _load_state(
    state_file: Path | None, outcomes: str | None, n_doses: int, phase_1_2: bool = False
) -> DoseOutcomes:
    from cartrial.escalation import EscalationState, parse_outcomes, summarise_outcomes

    if state_file is not None and outcomes is not None:
        raise InputError.single("input", "STATE", "give STATE.json or --outcomes, not both")
    if outcomes is not None:
        return summarise_outcomes(
            parse_outcomes(outcomes, n_doses, phase_1_2=phase_1_2), n_doses, "--outcomes"
        )
    if state_file is None:
        return summarise_outcomes(EscalationState(), n_doses)
    source = str(state_file)
    try:
        state = EscalationState.model_validate(json.loads(read_text(state_file)))
    except json.JSONDecodeError as exc:
        raise InputError.single(source, "(file)", f"not valid JSON: {exc}") from exc
    except ValidationError as exc:
        raise InputError(source, field_errors_from_validation(exc)) from exc
    return summarise_outcomes(state, n_doses, source)


def _dose_table(title: str, outcomes: DoseOutcomes) -> Table:
    table = Table(title=title)
    for column in ("dose", "patients", "DLTs", "pending"):
        table.add_column(column, justify="right")
    for level in range(1, outcomes.n_doses + 1):
        marker = " *" if level == outcomes.current_dose else ""
        table.add_row(
            f"{level}{marker}",
            str(outcomes.n_at(level)),
            str(outcomes.dlt_at(level)),
            str(outcomes.pending[level - 1]),
        )
    return table


STATE_ARGUMENT = typer.Argument(
    None, help="STATE.json: the patients so far (cartrial schema escalation-state)"
)
OUTCOMES_OPTION = typer.Option(None, "--outcomes", help="outcome notation, e.g. '2NNN 3NTN'")
DESIGN_OPTION = typer.Option(None, "--design", help=DESIGN_HELP)
DOSES_OPTION = typer.Option(None, "--doses", min=1, help="number of dose levels when no protocol is used")
TARGET_OPTION = typer.Option(None, "--target", help="target DLT probability")
COHORT_OPTION = typer.Option(None, "--cohort-size", help="patients per cohort")
MAX_N_OPTION = typer.Option(None, "--max-n", help="maximum sample size")
CUTOFF_OPTION = typer.Option(None, "--cutoff-eli", help="elimination cut-off (BOIN default 0.95)")
EXTRA_SAFE_OPTION = typer.Option(None, "--extra-safe/--no-extra-safe", help="BOIN's extra-safe stopping rule")
N_EARLYSTOP_OPTION = typer.Option(None, "--n-earlystop", help="stop when this many are at the dose (BOIN)")
EPSILON1_OPTION = typer.Option(None, "--epsilon1", help="mTPI-2/i3+3: EI lower half-width (default 0.05)")
EPSILON2_OPTION = typer.Option(None, "--epsilon2", help="mTPI-2/i3+3: EI upper half-width (default 0.05)")
SKELETON_OPTION = typer.Option(None, "--skeleton", help="CRM skeleton, e.g. 0.05,0.12,0.25,0.40")
HALFWIDTH_OPTION = typer.Option(
    None, "--skeleton-halfwidth", help="CRM: calibrate the skeleton with this indifference half-width"
)
NU_OPTION = typer.Option(None, "--skeleton-nu", help="CRM: prior guess of the MTD level (default: start)")
MODEL_OPTION = typer.Option(None, "--model", help="CRM model: empiric or logistic")
PRIOR_VAR_OPTION = typer.Option(None, "--prior-var", help="CRM prior variance of beta (dfcrm 1.34)")
INTERCEPT_OPTION = typer.Option(None, "--intercept", help="CRM logistic intercept (dfcrm 3)")
PHI_E_OPTION = typer.Option(None, "--phi-e", help="BOIN12: lowest acceptable efficacy rate")
BACKFILL_OPTION = typer.Option(
    None,
    "--backfill/--no-backfill",
    help="BOIN with backfill cohorts (BF-BOIN, Zhao et al. 2024); mark STATE.json patients backfill: true",
)
BACKFILL_CAP_OPTION = typer.Option(
    None, "--backfill-cap", help="BF-BOIN: a dose closes to backfill at this many patients (default 12)"
)
START_OPTION = typer.Option(None, "--start-dose", help="start dose level (default: the protocol's)")
PROTOCOL_VERSION_OPTION = typer.Option(None, "--protocol-version", help="embedded protocol version")
PROTOCOL_FILE_OPTION = typer.Option(None, "--protocol-file", help="a protocol TOML file")
JSON_OPTION = typer.Option(False, "--json", help="print JSON")

# Every design flag once: its type and its option; commands pick theirs with `_with_design_flags`.
_DESIGN_FLAGS: dict[str, tuple[Any, Any]] = {
    "design": (str | None, DESIGN_OPTION),
    "doses": (int | None, DOSES_OPTION),
    "target": (float | None, TARGET_OPTION),
    "cohort_size": (int | None, COHORT_OPTION),
    "max_n": (int | None, MAX_N_OPTION),
    "cutoff_eli": (float | None, CUTOFF_OPTION),
    "extra_safe": (bool | None, EXTRA_SAFE_OPTION),
    "n_earlystop": (int | None, N_EARLYSTOP_OPTION),
    "epsilon1": (float | None, EPSILON1_OPTION),
    "epsilon2": (float | None, EPSILON2_OPTION),
    "skeleton": (str | None, SKELETON_OPTION),
    "skeleton_halfwidth": (float | None, HALFWIDTH_OPTION),
    "skeleton_nu": (int | None, NU_OPTION),
    "model": (str | None, MODEL_OPTION),
    "prior_var": (float | None, PRIOR_VAR_OPTION),
    "intercept": (float | None, INTERCEPT_OPTION),
    "phi_e": (float | None, PHI_E_OPTION),
    "backfill": (bool | None, BACKFILL_OPTION),
    "backfill_cap": (int | None, BACKFILL_CAP_OPTION),
    "start_dose": (int | None, START_OPTION),
    "protocol_version": (str | None, PROTOCOL_VERSION_OPTION),
    "protocol_file": (Path | None, PROTOCOL_FILE_OPTION),
}
# The flags of the commands that decide on the patients so far (escalate, pathways).
_DECISION_FLAGS = tuple(_DESIGN_FLAGS)


def _with_design_flags(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the named design flags as options (in place of its `flags` parameter); the
    command receives them as one mapping, name -> value (None where not given)."""

    def wrap(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True)
        params = list(own.parameters.values())
        at = list(own.parameters).index("flags")
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=_DESIGN_FLAGS[name][1],
                annotation=_DESIGN_FLAGS[name][0],
            )
            for name in names
        ]
        signature = own.replace(parameters=[*params[:at], *shared, *params[at + 1 :]])

        @functools.wraps(command)
        def run(**kwargs: Any) -> None:
            command(flags={name: kwargs.pop(name) for name in names}, **kwargs)

        run.__signature__ = signature  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()} | {"return": None}
        return run

    return wrap


@_with_design_flags(*_DECISION_FLAGS)
def escalate(
    state_file: Path | None = STATE_ARGUMENT,
    outcomes: str | None = OUTCOMES_OPTION,
    *,
    flags: Mapping[str, Any],
    as_json: bool = JSON_OPTION,
) -> None:
    """The design's recommendation for the next cohort, with its reasons and numbers."""
    from cartrial.escalation import build_design

    try:
        settings, data = _settings_and_state(flags, state_file, outcomes)
        decision = build_design(settings).decide(data)
    except InputError as exc:
        fail_bad_input(exc)
    result = decision.as_json()
    if as_json:
        print_json(result)
        return
    stdout.print(_dose_table(f"{settings.design}: outcomes so far (* current dose)", data))
    for key, value in decision.details.items():
        stdout.print(f"{key}: {value}", highlight=False)
    if decision.eliminated:
        stdout.print(f"eliminated doses: {', '.join(map(str, decision.eliminated))}", highlight=False)
    nxt = "" if decision.next_dose is None else f" -> dose {decision.next_dose}"
    stdout.print(f"[bold]{decision.action}[/]{nxt}", highlight=False)
    stdout.print(decision.reason, markup=False, highlight=False)


def boundaries(
    design: str = typer.Option("boin", "--design", help="boin"),
    target: float = typer.Option(..., "--target", help="target DLT probability"),
    cohort_size: int = typer.Option(3, "--cohort-size", min=1, help="patients per cohort"),
    max_n: int = typer.Option(30, "--max-n", min=1, help="maximum sample size (ncohort x cohortsize)"),
    n_earlystop: int | None = N_EARLYSTOP_OPTION,
    cutoff_eli: float | None = CUTOFF_OPTION,
    p_saf: float | None = typer.Option(None, "--p-saf", help="highest rate deemed sub-therapeutic"),
    p_tox: float | None = typer.Option(None, "--p-tox", help="lowest rate deemed overly toxic"),
    as_json: bool = JSON_OPTION,
) -> None:
    """BOIN's decision table as R BOIN's get.boundary gives it (counts of DLTs)."""
    from cartrial.escalation import DesignSettings, calculate_boin_boundary, override_settings

    try:
        settings = override_settings(
            DesignSettings(design=design, n_doses=1, start_dose=1),
            {"target": target, "cohort_size": cohort_size, "max_n": max_n, "cutoff_eli": cutoff_eli},
        )
        if settings.design != "boin":
            raise InputError.single("--design", "design", "boundaries exist for boin only")
        assert settings.target is not None
        boundary = calculate_boin_boundary(settings.target, max_n, p_saf, p_tox, settings.cutoff_eli)
    except InputError as exc:
        fail_bad_input(exc)

    def rows(selected: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {
                "n": row.n,
                "escalate_at_most": row.escalate_at_most,
                "deescalate_at_least": row.deescalate_at_least,
                "eliminate_at_least": row.eliminate_at_least,
            }
            for row in selected
        ]

    table = rows(boundary.table(cohort_size, n_earlystop))
    if as_json:
        print_json(
            {
                "lambda_e": boundary.lambda_e,
                "lambda_d": boundary.lambda_d,
                "table": table,
                "full_table": rows(boundary.table(1, n_earlystop)),
            }
        )
        return
    stdout.print(
        f"BOIN, target {target:g}: escalate if rate <= lambda_e = {boundary.lambda_e:.4f}, "
        f"de-escalate if rate >= lambda_d = {boundary.lambda_d:.4f}",
        highlight=False,
    )
    shown = Table()
    for column in (
        "patients treated",
        "escalate if DLTs <=",
        "de-escalate if DLTs >=",
        "eliminate if DLTs >=",
    ):
        shown.add_column(column, justify="right")
    for row in table:
        eliminate = row["eliminate_at_least"]
        shown.add_row(
            str(row["n"]),
            str(row["escalate_at_most"]),
            str(row["deescalate_at_least"]),
            "NA" if eliminate is None else str(eliminate),
        )
    stdout.print(shown)


@_with_design_flags(
    "design",
    "doses",
    "target",
    "cutoff_eli",
    "extra_safe",
    "skeleton",
    "skeleton_halfwidth",
    "skeleton_nu",
    "model",
    "prior_var",
    "intercept",
    "phi_e",
    "protocol_version",
    "protocol_file",
)
def select_mtd(
    state_file: Path | None = STATE_ARGUMENT,
    outcomes: str | None = OUTCOMES_OPTION,
    *,
    flags: Mapping[str, Any],
    as_json: bool = JSON_OPTION,
) -> None:
    """The MTD at the end of the trial: isotonic estimates with 95% intervals (R BOIN select.mtd).

    For the 3+3 the MTD is the 3+3's (highest dose with at most 1/6 below the lowest too-toxic dose);
    the estimates are the same isotonic ones.
    """
    from cartrial.escalation import select_mtd as select

    try:
        settings, data = _settings_and_state(flags, state_file, outcomes)
        if sum(data.pending):
            raise InputError.single(
                "input", "patients", "MTD selection needs every DLT outcome; some are pending"
            )
        selection = select(data, settings)
    except InputError as exc:
        fail_bad_input(exc)
    estimates = [
        {
            "dose": e.dose,
            "n": e.n,
            "dlt": e.dlt,
            "estimate": e.estimate,
            "ci_lower": e.ci_lower,
            "ci_upper": e.ci_upper,
            "overdose_probability": e.overdose_probability,
        }
        for e in selection.estimates
    ]
    if as_json:
        print_json({"mtd": selection.mtd, "eliminated": list(selection.eliminated), "estimates": estimates})
        return
    shown = Table(title=f"Isotonic DLT estimates (target {settings.target})")
    for column in ("dose", "n", "DLTs", "estimate", "95% interval", "Pr(p > target)"):
        shown.add_column(column, justify="right")
    for e in selection.estimates:
        if e.estimate is None or e.ci_lower is None or e.ci_upper is None:
            shown.add_row(str(e.dose), str(e.n), str(e.dlt), "----", "(----, ----)", "----")
        else:
            shown.add_row(
                str(e.dose),
                str(e.n),
                str(e.dlt),
                f"{e.estimate:.2f}",
                f"({e.ci_lower:.2f}, {e.ci_upper:.2f})",
                "----" if e.overdose_probability is None else f"{e.overdose_probability:.2f}",
            )
    stdout.print(shown)
    verdict = "no dose: every dose is too toxic" if selection.mtd is None else f"dose {selection.mtd}"
    stdout.print(f"MTD: {verdict}", highlight=False)


def _check_plot_file(plot: Path) -> None:
    """A plot is drawn to a PNG or SVG file (exit 2 otherwise)."""
    if plot.suffix.lower() not in (".png", ".svg"):
        fail_bad_input(InputError.single("--plot", "plot", "the file must end in .png or .svg"))


def _parse_rates(text: str, field: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise InputError.single(
            field, field, f"expected comma-separated probabilities, got {text!r}"
        ) from exc


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


@_with_design_flags(
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
        true_tox = _parse_rates(true, "--true")
        base = settings_from_protocol(load_protocol_option(flags["protocol_version"], flags["protocol_file"]))
        base = replace(base, n_doses=len(true_tox), start_dose=1)
        settings = override_settings(base, {**_overrides(flags), "start_dose": start_dose, "max_n": None})
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
        _check_plot_file(plot)
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
        _check_plot_file(plot)
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


def _node_json(node: PathwayNode) -> dict[str, Any]:
    return {
        "outcome": node.outcome,
        "dose": node.dose,
        "dlts": node.dlts,
        "decision": node.decision.action,
        "next_dose": node.decision.next_dose,
        "stop": node.decision.stop,
        "reason": node.decision.reason,
        "children": [_node_json(child) for child in node.children],
    }


def _plot_tree(path: Path, root: PathwayNode) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    leaves: list[float] = []

    def place(node: PathwayNode, depth: int, ax: Any) -> float:
        if not node.children:
            y = float(len(leaves))
            leaves.append(y)
        else:
            ys = [place(child, depth + 1, ax) for child in node.children]
            y = sum(ys) / len(ys)
            for child, child_y in zip(node.children, ys, strict=True):
                ax.plot([depth, depth + 1], [y, child_y], color="grey", linewidth=0.6)
                ax.annotate(child.outcome, ((depth + depth + 1) / 2, (y + child_y) / 2), fontsize=6)
        target = "stop" if node.decision.next_dose is None else f"-> {node.decision.next_dose}"
        ax.annotate(
            target, (depth, y), fontsize=7, ha="center", va="center", bbox={"boxstyle": "round", "fc": "w"}
        )
        return y

    fig, ax = plt.subplots(figsize=(8, 6))
    place(root, 0, ax)
    ax.set_axis_off()
    ax.set_title("Dose-transition pathways (cohort outcome on each edge, next dose at each node)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@_with_design_flags(*_DECISION_FLAGS)
def pathways(
    state_file: Path | None = STATE_ARGUMENT,
    outcomes: str | None = OUTCOMES_OPTION,
    cohorts: int = typer.Option(2, "--cohorts", help="number of future cohorts"),
    *,
    flags: Mapping[str, Any],
    plot: Path | None = typer.Option(None, "--plot", help="draw the tree to FILE.png or FILE.svg"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Dose-transition pathways: every outcome of the next cohorts and the design's decision after each."""
    from cartrial.escalation import build_design
    from cartrial.escalation.pathways import calculate_pathways, list_pathways

    try:
        settings, data = _settings_and_state(flags, state_file, outcomes)
        size = 3 if settings.design == "3+3" else settings.cohort_size
        root = calculate_pathways(build_design(settings), data, size, cohorts)
    except InputError as exc:
        fail_bad_input(exc)
    if plot is not None:
        _check_plot_file(plot)
        _plot_tree(plot, root)
    paths = list_pathways(root)
    if as_json:
        flat = [
            {
                "path": notation,
                "decision": d.action,
                "next_dose": d.next_dose,
                "stop": d.stop,
                "reason": d.reason,
            }
            for notation, d in paths
        ]
        print_json({"design": settings.design, "cohorts": cohorts, "tree": _node_json(root), "paths": flat})
        return
    first = root.decision
    stdout.print(f"now: {first.action} -> {first.next_dose}  ({first.reason})", markup=False, highlight=False)
    shown = Table(title=f"{settings.design}: pathways over the next {cohorts} cohort(s) of {size}")
    shown.add_column("cohorts (dose, then N/T)")
    shown.add_column("decision")
    shown.add_column("next dose", justify="right")
    for notation, decision in paths:
        shown.add_row(
            notation, decision.action, "-" if decision.next_dose is None else str(decision.next_dose)
        )
    stdout.print(shown)


def register(app: typer.Typer) -> None:
    app.command("escalate")(escalate)
    app.command("boundaries")(boundaries)
    app.command("select-mtd")(select_mtd)
    app.command("simulate")(simulate)
    app.command("pathways")(pathways)
