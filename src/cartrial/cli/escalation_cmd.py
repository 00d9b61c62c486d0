"""`cartrial escalate | boundaries | select-mtd | pathways`: decisions on the patients so far."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from cartrial.cli.common import fail_bad_input, print_json, read_text, stdout
from cartrial.cli.design_flags import (
    CUTOFF_OPTION,
    DECISION_FLAGS,
    JSON_OPTION,
    N_EARLYSTOP_OPTION,
    check_plot_file,
    settings_from_flags,
    with_design_flags,
)
from cartrial.errors import InputError
from cartrial.protocol import field_errors_from_validation

# The engine imports scipy; it is imported inside each command so `cartrial --help` stays fast.
if TYPE_CHECKING:
    from cartrial.escalation import DesignSettings, DoseOutcomes
    from cartrial.escalation.pathways import PathwayNode


def _settings_and_state(
    flags: Mapping[str, Any], state_file: Path | None, outcomes: str | None, pooled: bool = False
) -> tuple[DesignSettings, DoseOutcomes]:
    """The design settings and the patients so far (STATE.json or the outcome notation).

    Backfill patients are taken by designs with backfill cohorts, and wherever they are only
    `pooled` with the others at their dose (MTD selection); elsewhere they are bad input."""
    settings = settings_from_flags(flags)
    backfill = settings.backfill or pooled
    return settings, _load_state(
        state_file, outcomes, settings.n_doses, settings.design == "boin12", backfill
    )


def _load_state(
    state_file: Path | None,
    outcomes: str | None,
    n_doses: int,
    phase_1_2: bool = False,
    backfill: bool = False,
) -> DoseOutcomes:
    from cartrial.escalation import EscalationState, parse_outcomes, summarise_outcomes

    if state_file is not None and outcomes is not None:
        raise InputError.single("input", "STATE", "give STATE.json or --outcomes, not both")
    if outcomes is not None:
        return summarise_outcomes(
            parse_outcomes(outcomes, n_doses, phase_1_2=phase_1_2, backfill=backfill), n_doses, "--outcomes"
        )
    if state_file is None:
        return summarise_outcomes(EscalationState(), n_doses)
    source = str(state_file)
    try:
        # The JSON text itself, strictly: each value only in its schema's JSON type (docs/escalation.md).
        state = EscalationState.model_validate_json(read_text(state_file), strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise InputError.single(source, "(file)", f"not valid JSON: {first['ctx']['error']}") from exc
        raise InputError(source, field_errors_from_validation(exc)) from exc
    marked = [i for i, p in enumerate(state.patients) if p.backfill]
    if marked and not backfill:
        raise InputError.single(
            source,
            f"patients[{marked[0]}].backfill",
            "a backfill patient needs a design with backfill cohorts (BF-BOIN: --design boin --backfill)",
        )
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


@with_design_flags(*DECISION_FLAGS)
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


@with_design_flags(
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
        settings, data = _settings_and_state(flags, state_file, outcomes, pooled=True)
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


def _node_json(node: PathwayNode) -> dict[str, Any]:
    backfill = (
        None
        if node.backfill_dose is None
        else {
            "dose": node.backfill_dose,
            "size": node.backfill_size,
            "dlts": node.backfill_dlts,
            "outcome": node.backfill_outcome,
        }
    )
    return {
        "outcome": node.outcome,
        "dose": node.dose,
        "dlts": node.dlts,
        "backfill": backfill,
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


@with_design_flags(*DECISION_FLAGS)
def pathways(
    state_file: Path | None = STATE_ARGUMENT,
    outcomes: str | None = OUTCOMES_OPTION,
    cohorts: int = typer.Option(2, "--cohorts", help="number of future cohorts"),
    *,
    flags: Mapping[str, Any],
    backfill_size: int | None = typer.Option(
        None,
        "--backfill-size",
        help="with --backfill: patients per backfill cohort, one with each escalation cohort "
        "(default: the cohort size)",
    ),
    plot: Path | None = typer.Option(None, "--plot", help="draw the tree to FILE.png or FILE.svg"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Dose-transition pathways: every outcome of the next cohorts and the design's decision after each.

    With --backfill each escalation cohort brings a backfill cohort at the highest dose open to
    backfill, marked 'b' in the paths (e.g. '3NNT b2NN')."""
    from cartrial.escalation import build_design
    from cartrial.escalation.notation import BACKFILL_MARK
    from cartrial.escalation.pathways import calculate_pathways, list_pathways

    try:
        settings, data = _settings_and_state(flags, state_file, outcomes)
        size = 3 if settings.design == "3+3" else settings.cohort_size
        if backfill_size is not None and not settings.backfill:
            raise InputError.single("--backfill-size", "backfill_size", "backfill cohorts need --backfill")
        extra = (size if backfill_size is None else backfill_size) if settings.backfill else 0
        root = calculate_pathways(build_design(settings), data, size, cohorts, extra, settings.backfill_cap)
    except InputError as exc:
        fail_bad_input(exc)
    if plot is not None:
        check_plot_file(plot)
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
    shown.add_column("escalation cohorts (dose, then N/T)")
    if extra:
        shown.add_column(f"backfill cohorts (b, dose, then N/T; up to {extra} each)")
    shown.add_column("decision")
    shown.add_column("next dose", justify="right")
    for notation, decision in paths:
        cohorts_in = notation.split()
        escalation = " ".join(c for c in cohorts_in if not c.startswith(BACKFILL_MARK))
        backfill = " ".join(c for c in cohorts_in if c.startswith(BACKFILL_MARK)) or "-"
        nxt = "-" if decision.next_dose is None else str(decision.next_dose)
        row = (escalation, backfill) if extra else (escalation,)
        shown.add_row(*row, decision.action, nxt)
    stdout.print(shown)


def register(app: typer.Typer) -> None:
    app.command("escalate")(escalate)
    app.command("boundaries")(boundaries)
    app.command("select-mtd")(select_mtd)
    app.command("pathways")(pathways)
