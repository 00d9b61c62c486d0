"""`cartrial screen`: assess candidates against the protocol's eligibility criteria.

Exit codes: 0 eligible, 3 ineligible, 4 incomplete, 2 bad input. A pool (JSONL) exits 0 once every
line is screened; one bad line rejects the whole pool (exit 2) and writes no log.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.progress import track
from rich.table import Table

from cartrial.cli.common import fail_bad_input, print_json, read_text, stdout
from cartrial.cli.gc_batches import freeze_as_done
from cartrial.cli.protocol_cmd import load_protocol_option
from cartrial.eligibility import (
    ScreeningRecord,
    ScreeningResult,
    Verdict,
    parse_screening_record,
    screen,
    screen_many,
)
from cartrial.eligibility.result import result_as_dict
from cartrial.eligibility.summary import ScreeningSummary, summarise_screening
from cartrial.errors import FieldError, InputError

EXIT_BY_VERDICT = {Verdict.ELIGIBLE: 0, Verdict.INELIGIBLE: 3, Verdict.INCOMPLETE: 4}
OUTCOME_STYLE = {"met": "green", "not_met": "red", "unknown": "yellow"}


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_command)


def today_utc() -> date:
    return datetime.now(UTC).date()


def parse_pool(text: str, source: str, today: date) -> list[ScreeningRecord]:
    """Every line of a JSONL pool, or an `InputError` naming each bad line and field."""
    records: list[ScreeningRecord] = []
    errors: list[FieldError] = []
    for number, line in freeze_as_done(enumerate(text.splitlines(), start=1)):
        if not line.strip():
            continue
        try:
            records.append(parse_screening_record(line, source, today))
        except InputError as exc:
            errors.extend(FieldError(f"line {number}: {e.field}", e.reason) for e in exc.errors)
    if errors:
        raise InputError(source, tuple(errors))
    if not records:
        raise InputError.single(source, "(file)", "no records")
    return records


def screening_log_csv(results: list[ScreeningResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["screening_id", "protocol", "verdict", "excluded_by", "unknown"])
    for r in results:
        unknown = [c.id for c in r.criteria if c.outcome.value == "unknown"]
        writer.writerow(
            [r.screening_id, r.protocol, r.verdict.value, ";".join(c.id for c in r.failed), ";".join(unknown)]
        )
    return out.getvalue()


def render_result(result: ScreeningResult) -> None:
    table = Table(title=f"Screening {result.screening_id} under {result.protocol}")
    for column in ("criterion", "result", "evidence", "missing"):
        table.add_column(column, overflow="fold")
    for c in result.criteria:
        evidence = "\n".join(f"{e.item}: {e.value} [{e.rule}]" for e in c.evidence)
        style = OUTCOME_STYLE[c.outcome.value]
        table.add_row(f"{c.id}\n{c.title}", f"[{style}]{c.outcome.value}[/]", evidence, "\n".join(c.missing))
    stdout.print(table)
    stdout.print(f"Verdict: [bold]{result.verdict.value}[/]")


def render_summary(summary: ScreeningSummary, protocol: str) -> None:
    counts = ", ".join(f"{v.value} {n}" for v, n in summary.verdicts.items())
    stdout.print(f"Screened {summary.screened} candidates under {protocol}: {counts}", highlight=False)
    table = Table(title="Screen failures by criterion (a candidate may fail several)")
    for column in ("criterion", "kind", "excluded", "unknown"):
        table.add_column(column)
    for c in summary.by_criterion:
        table.add_row(f"{c.id}  {c.title}", c.kind, str(c.excluded), str(c.unknown))
    stdout.print(table)


def screen_command(
    record_file: Path = typer.Argument(
        ..., help="a screening record (.json) or a pool, one per line (.jsonl)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    log: Path | None = typer.Option(None, "--log", help="write the screening log (CSV) of a pool"),
    protocol_version: str | None = typer.Option(None, "--protocol-version", help="embedded protocol version"),
    protocol_file: Path | None = typer.Option(None, "--protocol-file", help="a protocol TOML file"),
    today: str | None = typer.Option(
        None, "--today", help="the date to check for future dates (default: today)"
    ),
) -> None:
    """Screen a candidate (or a pool) against every inclusion and exclusion criterion."""
    protocol = load_protocol_option(protocol_version, protocol_file)
    try:
        reference_day = date.fromisoformat(today) if today else today_utc()
    except ValueError:
        fail_bad_input(InputError.single("--today", "today", f"{today!r} is not a date (YYYY-MM-DD)"))
    text = read_text(record_file)
    try:
        if record_file.suffix == ".jsonl":
            records = parse_pool(text, str(record_file), reference_day)
        else:
            records = [parse_screening_record(text, str(record_file), reference_day)]
    except InputError as exc:
        fail_bad_input(exc)
    if len(records) == 1 and record_file.suffix != ".jsonl":
        result = screen(records[0], protocol)
        print_json(result_as_dict(result)) if as_json else render_result(result)
        raise typer.Exit(EXIT_BY_VERDICT[result.verdict])
    shown = track(records, description="Screening", console=stdout, disable=as_json)
    results = screen_many(freeze_as_done(shown), protocol)
    if log is not None:
        log.write_text(screening_log_csv(results), encoding="utf-8")
    summary = summarise_screening(results)
    if as_json:
        print_json([result_as_dict(r) for r in results])
    else:
        render_summary(summary, protocol.ref)
