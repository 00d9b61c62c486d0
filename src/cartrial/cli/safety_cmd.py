"""`cartrial grade crs|icans|lab FILE.json` and `cartrial dlt SUBJECT.json`: the safety core on files."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cartrial.cli.common import fail_bad_input, print_json, read_text, stdout
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.safety.result import GradeResult

grade_app = typer.Typer(help="Grade one assessment: CRS, ICANS (ASTCT 2019) or a lab (CTCAE v5.0).")

_JSON_OPTION = typer.Option(False, "--json", help="print {scale, grade, drivers, source} as JSON")


def load_json(path: Path, text: str | None = None) -> Any:
    """Parse a JSON input with numbers kept exact (Decimal), so grade boundaries are compared exactly."""
    raw = read_text(path) if text is None else text
    try:
        return json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail_bad_input(InputError.single(str(path), "(file)", f"not valid JSON: {exc}"))


def _grade(kind: str, path: Path, as_json: bool) -> None:
    from cartrial.safety import (
        CrsAssessment,
        IcansAssessment,
        IecHsAssessment,
        LabResult,
        grade_crs,
        grade_icans,
        grade_iec_hs,
        grade_lab,
    )
    from cartrial.safety.result import parse_input

    data = load_json(path)
    try:
        result: GradeResult
        if kind == "crs":
            result = grade_crs(parse_input(CrsAssessment, data, str(path)))
        elif kind == "icans":
            result = grade_icans(parse_input(IcansAssessment, data, str(path)))
        elif kind == "iec-hs":
            result = grade_iec_hs(parse_input(IecHsAssessment, data, str(path)))
        else:
            result = grade_lab(parse_input(LabResult, data, str(path)))
    except InputError as exc:
        fail_bad_input(exc)
    if as_json:
        print_json(result.to_json())
    else:
        _render(result)


def _render(result: GradeResult) -> None:
    stdout.print(f"[bold]{result.scale}: grade {result.grade}[/]", highlight=False)
    for driver in result.drivers:
        stdout.print(f"  {driver.domain} (grade {driver.grade}): {driver.finding}", highlight=False)
    stdout.print(f"source: {result.source}", highlight=False)


@grade_app.command("crs")
def grade_crs_command(
    file: Path = typer.Argument(..., help="CRS assessment JSON (`cartrial schema crs-assessment`)"),
    as_json: bool = _JSON_OPTION,
) -> None:
    """Grade cytokine release syndrome by ASTCT 2019."""
    _grade("crs", file, as_json)


@grade_app.command("icans")
def grade_icans_command(
    file: Path = typer.Argument(..., help="ICANS assessment JSON (`cartrial schema icans-assessment`)"),
    as_json: bool = _JSON_OPTION,
) -> None:
    """Grade ICANS in adults by ASTCT 2019."""
    _grade("icans", file, as_json)


@grade_app.command("lab")
def grade_lab_command(
    file: Path = typer.Argument(..., help="lab result JSON (`cartrial schema lab-result`)"),
    as_json: bool = _JSON_OPTION,
) -> None:
    """Grade a laboratory result by CTCAE v5.0."""
    _grade("lab", file, as_json)


@grade_app.command("iec-hs")
def grade_iec_hs_command(
    file: Path = typer.Argument(..., help="IEC-HS assessment JSON (see docs/safety.md)"),
    as_json: bool = _JSON_OPTION,
) -> None:
    """Identify and grade IEC-HS by the ASTCT 2023 consensus."""
    _grade("iec-hs", file, as_json)


@grade_app.command("icaht")
def grade_icaht_command(
    file: Path = typer.Argument(..., help="ANC course JSON: {unit, measurements: [{day, value}]}"),
    counting: str = typer.Option("cumulative", help="cumulative (consensus) or longest_episode"),
    as_json: bool = typer.Option(False, "--json", help="print {early, late, unknown} as JSON"),
) -> None:
    """Grade early and late ICAHT (EHA/EBMT 2023) from the neutrophil course."""
    from cartrial.safety import IcahtSettings, NeutrophilCourse, grade_icaht
    from cartrial.safety.result import parse_input

    if counting not in ("cumulative", "longest_episode"):
        fail_bad_input(InputError.single("--counting", "counting", "must be cumulative or longest_episode"))
    data = load_json(file)
    try:
        course = parse_input(NeutrophilCourse, data, str(file))
    except InputError as exc:
        fail_bad_input(exc)
    result = grade_icaht(
        course, IcahtSettings(counting="cumulative" if counting == "cumulative" else "longest_episode")
    )
    if as_json:
        print_json(
            {
                "early": None if result.early is None else result.early.to_json(),
                "late": None if result.late is None else result.late.to_json(),
                "unknown": list(result.unknown),
            }
        )
        return
    for phase in (result.early, result.late):
        if phase is not None:
            _render(phase)
    for reason in result.unknown:
        stdout.print(f"unknown: {reason}", highlight=False)


@grade_app.command("igg")
def assess_igg_command(
    file: Path = typer.Argument(..., help="IgG result JSON: {value, unit}"),
    threshold_g_per_l: str = typer.Option("4", "--threshold", help="IgG threshold in g/L (protocol setting)"),
    as_json: bool = typer.Option(False, "--json", help="print {finding, present, detail} as JSON"),
) -> None:
    """Hypogammaglobulinaemia (no CTCAE grade): a finding when IgG is below the threshold."""
    from decimal import InvalidOperation

    from cartrial.safety import IggResult, assess_hypogammaglobulinaemia
    from cartrial.safety.result import parse_input

    try:
        threshold = Decimal(threshold_g_per_l)
    except InvalidOperation:
        fail_bad_input(InputError.single("--threshold", "threshold", f"not a number: {threshold_g_per_l!r}"))
    if not threshold > 0:
        fail_bad_input(InputError.single("--threshold", "threshold", "must be positive"))
    data = load_json(file)
    try:
        finding = assess_hypogammaglobulinaemia(parse_input(IggResult, data, str(file)), threshold)
    except InputError as exc:
        fail_bad_input(exc)
    if as_json:
        print_json({"finding": finding.name, "present": finding.present, "detail": finding.detail})
    else:
        stdout.print(
            f"{finding.name}: {'present' if finding.present else 'absent'} ({finding.detail})",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(grade_app, name="grade")
    app.command("dlt")(dlt)


_LINE_SUFFIXES = {".jsonl", ".ndjson"}


def _read_subjects(path: Path) -> list[tuple[str, Any]] | tuple[str, Any]:
    """Each subject's (source, parsed JSON): a list for a JSON array or JSONL (.jsonl/.ndjson), a single
    pair for a JSON object."""
    text = read_text(path)
    if path.suffix.lower() in _LINE_SUFFIXES:
        return [
            (f"{path}:{number}", load_json(Path(f"{path}:{number}"), line))
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    data = load_json(path, text)
    if isinstance(data, list):
        return [(f"{path}[{index}]", item) for index, item in enumerate(data)]
    return (str(path), data)


def dlt(
    file: Path = typer.Argument(
        ..., help="subject JSON, a JSON array or JSONL (`cartrial schema subject-safety`)"
    ),
    protocol_version: str | None = typer.Option(None, "--protocol-version", help="embedded protocol version"),
    protocol_file: Path | None = typer.Option(None, "--protocol-file", help="a protocol TOML file instead"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (JSONL input: one line per subject)"),
    escalation: bool = typer.Option(
        False,
        "--escalation",
        help='print the cohort as escalation state: {"patients": [{id, dose_level, dlt, followup_days}]}',
    ),
) -> None:
    """Adjudicate DLTs for one subject or a cohort against the protocol's DLT rules and window."""
    from cartrial.cli.protocol_cmd import load_protocol_option
    from cartrial.safety import SubjectSafety, adjudicate_dlt, compile_dlt_rules, to_escalation_state
    from cartrial.safety.result import parse_input

    protocol = load_protocol_option(protocol_version, protocol_file)
    read = _read_subjects(file)
    entries = read if isinstance(read, list) else [read]
    try:
        rules = compile_dlt_rules(protocol.dlt, protocol.ref)
        subjects = [parse_input(SubjectSafety, data, source) for source, data in entries]
        for (source, _), subject in zip(entries, subjects, strict=True):
            if subject.dose_level > len(protocol.dose_levels):
                raise InputError.single(
                    source, "dose_level", f"no dose level {subject.dose_level} in protocol {protocol.ref}"
                )
    except InputError as exc:
        fail_bad_input(exc)
    adjudications = [adjudicate_dlt(subject, rules) for subject in subjects]
    if escalation:
        print_json(to_escalation_state(adjudications))
    elif as_json and file.suffix.lower() in _LINE_SUFFIXES:
        for adjudication in adjudications:
            sys.stdout.write(json.dumps(adjudication.to_json(), ensure_ascii=False) + "\n")
    elif as_json:
        rows = [adjudication.to_json() for adjudication in adjudications]
        print_json(rows if isinstance(read, list) else rows[0])
    else:
        for a in adjudications:
            rule = f" rule {a.rule}" if a.rule else ""
            events = f" events {', '.join(a.events)}" if a.events else ""
            stdout.print(
                f"{a.subject_id} (DL {a.dose_level}): [bold]{a.status}[/]{rule}{events}; "
                f"{a.followup_days:g} days in window; evaluable {a.evaluable}; {a.reason}",
                highlight=False,
            )
