"""`cartrial nca` (NCA of CAR transgene profiles, as PKNCA computes it) and `cartrial pd` (B cells)."""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cartrial.cli.common import fail_bad_input, print_json, read_text, stdout
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.kinetics import BlqRule, ConcentrationProfile, Interval, NcaBatch
    from cartrial.kinetics.summary import DoseSummary

ROW_FIELDS = ("subject", "start", "end", "PPTESTCD", "value", "exclusion")
SUMMARY_FIELDS = (
    "dose",
    "start",
    "end",
    "PPTESTCD",
    "n",
    "n_missing",
    "mean",
    "sd",
    "geometric_mean",
    "geometric_cv_percent",
    "median",
    "min",
    "max",
)


def parse_interval(text: str) -> Interval:
    """`START,END` with END a number or `inf`."""
    from cartrial.kinetics import Interval

    parts = text.split(",")
    if len(parts) != 2:
        raise InputError.single("--interval", text, "must be START,END (END may be inf)")
    try:
        start, end = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise InputError.single("--interval", text, "START and END must be numbers (END may be inf)") from exc
    if end == -math.inf:
        raise InputError.single("--interval", text, "END must be after START")
    return Interval(start, end)


def _summary_row(item: DoseSummary) -> dict[str, Any]:
    return {
        "dose": item.dose,
        "start": item.start,
        "end": item.end,
        "PPTESTCD": item.testcd,
        "n": item.n,
        "n_missing": item.n_missing,
        "mean": item.mean,
        "sd": item.sd,
        "geometric_mean": item.geometric_mean,
        "geometric_cv_percent": item.geometric_cv_percent,
        "median": item.median,
        "min": item.minimum,
        "max": item.maximum,
    }


def _write_csv(fields: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> None:
    """A header, then one line per row (its values in the order of `fields`; None is empty)."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows(["" if value is None else value for value in row] for row in rows)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _print_tables(batch: NcaBatch, summary: tuple[DoseSummary, ...] | None) -> None:
    from rich.table import Table

    from cartrial.kinetics import PPTEST

    table = Table(title="NCA parameters")
    for column in ("subject", "interval", "PPTESTCD", "PPTEST", "value", "exclusion"):
        table.add_column(column)
    for subject, start, stop, testcd, value, exclusion in batch.records():
        interval = f"{start:g}–{'inf' if stop is None else f'{stop:g}'}"
        table.add_row(subject, interval, testcd, PPTEST[testcd], _fmt(value), exclusion or "")
    stdout.print(table)
    if summary is not None:
        by_dose = Table(title="Summary by dose level")
        for column in (
            "dose",
            "interval",
            "PPTESTCD",
            "n",
            "mean",
            "geo mean",
            "geo CV%",
            "median",
            "min",
            "max",
        ):
            by_dose.add_column(column)
        for item in summary:
            end = "inf" if item.end is None else f"{item.end:g}"
            by_dose.add_row(
                f"{item.dose:g}",
                f"{item.start:g}–{end}",
                item.testcd,
                str(item.n),
                _fmt(item.mean),
                _fmt(item.geometric_mean),
                _fmt(item.geometric_cv_percent),
                _fmt(item.median),
                _fmt(item.minimum),
                _fmt(item.maximum),
            )
        stdout.print(by_dose)


def register(app: typer.Typer) -> None:
    _register_nca(app)
    _register_pd(app)


def _register_nca(app: typer.Typer) -> None:
    @app.command("nca")
    def nca(
        profiles_file: Path = typer.Argument(
            ..., metavar="PROFILES.csv", help="subject,dose,time,value,blq[,lloq]"
        ),
        interval: list[str] = typer.Option(
            [], "--interval", help="START,END in days (END may be inf); repeatable; default 0,28 and 0,inf"
        ),
        method: str = typer.Option("lin-up-log-down", "--method", help="lin-up-log-down | linear | lin-log"),
        as_json: bool = typer.Option(False, "--json", help="print the results as JSON"),
        as_csv: bool = typer.Option(False, "--csv", help="print the result rows as CSV"),
        summary: bool = typer.Option(False, "--summary", help="add summaries by dose level"),
        overrides_file: Path | None = typer.Option(
            None,
            "--lambda-z-overrides",
            help="JSON list of {subject, include or exclude (sample times), reason}",
        ),
        adj_r2_factor: float | None = typer.Option(
            None, "--adj-r2-factor", help="λz: adjusted R² tolerance (default PKNCA's, 1e-4)"
        ),
        min_hl_points: int | None = typer.Option(
            None, "--min-hl-points", help="λz: minimum number of points (default PKNCA's, 3)"
        ),
        allow_tmax: bool = typer.Option(False, "--allow-tmax-in-half-life", help="λz may use the Tmax point"),
        blq_first: str | None = typer.Option(
            None, "--blq-first", help="BLQ up to the first measurable value: keep|drop|NUMBER (default keep)"
        ),
        blq_middle: str | None = typer.Option(
            None, "--blq-middle", help="BLQ between measurable values: keep|drop|NUMBER (default drop)"
        ),
        blq_last: str | None = typer.Option(
            None, "--blq-last", help="BLQ from the last measurable value on: keep|drop|NUMBER (default keep)"
        ),
        plot: Path | None = typer.Option(None, "--plot", help="draw profiles by dose level to FILE.png|svg"),
    ) -> None:
        """Cmax, Tmax, Clast, Tlast, AUClast, AUCint, AUCinf (obs/pred), λz, t½ per subject and interval."""
        from cartrial.kinetics import DEFAULT_INTERVALS, NcaMethod, NcaSettings, calculate_nca_batch
        from cartrial.kinetics.parse import parse_lambda_z_overrides, parse_profiles_csv
        from cartrial.kinetics.summary import summarise_batch_by_dose

        if as_json and as_csv:
            fail_bad_input(InputError.single("options", "--json/--csv", "choose one output format"))
        try:
            if method not in {m.value for m in NcaMethod}:
                raise InputError.single(
                    "--method", "method", f"must be one of {', '.join(m.value for m in NcaMethod)}"
                )
            chosen: dict[str, Any] = {"method": NcaMethod(method), "allow_tmax_in_half_life": allow_tmax}
            for name, text, option in (
                ("blq_first", blq_first, "--blq-first"),
                ("blq_middle", blq_middle, "--blq-middle"),
                ("blq_last", blq_last, "--blq-last"),
            ):
                if text is not None:
                    chosen[name] = _blq_rule(text, option)
            if adj_r2_factor is not None:
                chosen["adj_r_squared_factor"] = adj_r2_factor
            if min_hl_points is not None:
                chosen["min_hl_points"] = min_hl_points
            settings = NcaSettings(**chosen)
            intervals = tuple(parse_interval(text) for text in interval) or DEFAULT_INTERVALS
            if len(set(intervals)) < len(intervals):
                raise InputError.single("--interval", "interval", "the same interval is given twice")
            profiles = parse_profiles_csv(read_text(profiles_file), str(profiles_file))
            overrides = (
                parse_lambda_z_overrides(read_text(overrides_file), str(overrides_file))
                if overrides_file is not None
                else ()
            )
            batch = calculate_nca_batch(profiles, intervals, settings, overrides)
        except InputError as exc:
            fail_bad_input(exc)
        summaries = summarise_batch_by_dose(batch) if summary else None
        if plot is not None:
            try:
                draw_profiles(profiles, plot)
            except InputError as exc:
                fail_bad_input(exc)
        if as_json:
            rows = [dict(zip(ROW_FIELDS, record, strict=True)) for record in batch.records()]
            document: dict[str, Any] = {"method": settings.method.value, "results": rows}
            document["lambda_z"] = [
                {
                    "subject": p.subject,
                    "start": p.start,
                    "end": p.end,
                    "times": list(p.times),
                    "selection": p.selection,
                    "reason": p.reason,
                }
                for p in batch.lambda_z()
            ]
            if summaries is not None:
                document["summary"] = [_summary_row(item) for item in summaries]
            print_json(document)
        elif as_csv:
            if summaries is not None:
                summary_rows = (_summary_row(item) for item in summaries)
                _write_csv(SUMMARY_FIELDS, ([row[field] for field in SUMMARY_FIELDS] for row in summary_rows))
            else:
                _write_csv(ROW_FIELDS, batch.records())
        else:
            _print_tables(batch, summaries)


def _register_pd(app: typer.Typer) -> None:
    @app.command("pd")
    def pd(
        markers_file: Path = typer.Argument(
            ..., metavar="MARKERS.csv", help="subject,marker,unit,day,value[,visit]"
        ),
        b_cell_marker: str = typer.Option("CD19", "--b-cell-marker", help="the marker that counts B cells"),
        threshold: float | None = typer.Option(
            None, "--threshold", help="B cells below this (in the marker's unit) are depleted (default 5)"
        ),
        confirmations: int = typer.Option(
            1,
            "--confirmations",
            help="consecutive samples at/above the threshold that confirm reconstitution",
        ),
        as_json: bool = typer.Option(False, "--json", help="print the results as JSON"),
    ) -> None:
        """B-cell depletion, aplasia and reconstitution; change from baseline of every marker."""
        from dataclasses import asdict

        from rich.table import Table

        from cartrial.kinetics import (
            DEFAULT_B_CELL_THRESHOLD_PER_UL,
            assess_b_cell_depletion,
            calculate_change_from_baseline,
        )
        from cartrial.kinetics.parse import parse_markers_csv

        try:
            series = parse_markers_csv(read_text(markers_file), str(markers_file))
            chosen = DEFAULT_B_CELL_THRESHOLD_PER_UL if threshold is None else threshold
            b_cells = [
                assess_b_cell_depletion(s, chosen, confirmations) for s in series if s.marker == b_cell_marker
            ]
        except InputError as exc:
            fail_bad_input(exc)
        changes = [row for s in series for row in calculate_change_from_baseline(s)]
        if as_json:
            print_json(
                {
                    "b_cells": [asdict(b) for b in b_cells],
                    "change_from_baseline": [asdict(c) for c in changes],
                }
            )
            return
        depletion = Table(title=f"B-cell depletion ({b_cell_marker} < {chosen:g})")
        for column in ("subject", "baseline", "depleted day", "reconstituted day", "aplasia days", "note"):
            depletion.add_column(column)
        for b in b_cells:
            days = _fmt(b.aplasia_days) + (" (ongoing)" if b.aplasia_ongoing else "")
            depletion.add_row(
                b.subject,
                _fmt(b.baseline),
                _fmt(b.depletion_day),
                _fmt(b.reconstitution_day),
                days,
                b.note or "",
            )
        stdout.print(depletion)
        change = Table(title="Change from baseline")
        for column in (
            "subject",
            "marker",
            "day",
            "visit",
            "value",
            "baseline",
            "change",
            "% change",
            "note",
        ):
            change.add_column(column)
        for c in changes:
            change.add_row(
                c.subject,
                f"{c.marker} ({c.unit})",
                f"{c.day:g}",
                c.visit or "",
                _fmt(c.value),
                _fmt(c.baseline),
                _fmt(c.change),
                _fmt(c.percent_change),
                c.note or "",
            )
        stdout.print(change)


def draw_profiles(profiles: Sequence[ConcentrationProfile], path: Path) -> None:
    """Profiles by dose level on a log scale: LLOQ drawn, BLQ points marked, geometric-mean curve per dose."""
    from cartrial.kinetics.summary import calculate_geometric_mean_curves

    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise InputError.single("--plot", str(path), "must end in .png or .svg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = calculate_geometric_mean_curves(profiles)
    columns = min(4, len(curves))
    rows = -(-len(curves) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 4 * rows), sharey=True, squeeze=False)
    for unused in axes.flat[len(curves) :]:
        unused.set_visible(False)
    positive = [v for p in profiles for v in p.nca_values if v > 0]
    floor = min(positive) / 10 if positive else 1.0
    for axis, curve in zip(axes.flat, curves, strict=False):
        for profile in (p for p in profiles if p.dose == curve.dose):
            measured = [(t, v) for t, v in zip(profile.times, profile.nca_values, strict=True) if v > 0]
            blq = [
                (t, lloq or floor)
                for t, b, lloq in zip(profile.times, profile.blq, profile.lloq, strict=True)
                if b
            ]
            if measured:
                axis.plot(*zip(*measured, strict=True), marker="o", markersize=3, linewidth=0.8, alpha=0.6)
            if blq:
                axis.scatter(
                    *zip(*blq, strict=True), marker="v", facecolors="none", edgecolors="grey", zorder=3
                )
        if curve.times:
            axis.plot(
                curve.times, curve.geometric_means, color="black", linewidth=2.2, label="geometric mean"
            )
        lloqs = sorted({q for p in profiles if p.dose == curve.dose for q in p.lloq if q is not None})
        for lloq in lloqs:
            axis.axhline(lloq, color="red", linestyle="--", linewidth=0.8, label=f"LLOQ {lloq:g}")
        axis.set_yscale("log")
        axis.set_title(f"dose {curve.dose:g}")
        axis.set_xlabel("days from infusion")
        axis.legend(fontsize="small")
    for row in axes:
        row[0].set_ylabel("value (log scale); ▽ = BLQ")
    fig.tight_layout()
    try:
        fig.savefig(path, format=suffix[1:])
    except OSError as exc:
        raise InputError.single("--plot", str(path), f"cannot write: {exc}") from exc
    finally:
        plt.close(fig)


def _blq_rule(text: str, option: str) -> BlqRule:
    if text == "keep":
        return "keep"
    if text == "drop":
        return "drop"
    try:
        return float(text)
    except ValueError as exc:
        raise InputError.single(option, "rule", f"must be keep, drop or a number, not {text!r}") from exc
