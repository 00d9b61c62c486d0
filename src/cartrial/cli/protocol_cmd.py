"""`cartrial protocol show|validate|list`: the computable protocol versions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cartrial.cli.common import fail_bad_input, print_json, read_text, stderr, stdout
from cartrial.data import (
    DEFAULT_PROTOCOL_VERSION,
    embedded_protocol,
    embedded_protocol_table,
    embedded_protocol_versions,
)
from cartrial.errors import InputError
from cartrial.protocol import Protocol, parse_protocol

protocol_app = typer.Typer(help="The protocol versions: show, list, validate.", no_args_is_help=True)


def load_protocol_option(version: str | None, file: Path | None) -> Protocol:
    """The protocol a command runs under: a file, an embedded version, or the registered default."""
    if file is not None:
        try:
            return parse_protocol(read_text(file), str(file), embedded_protocol_table)
        except InputError as exc:
            fail_bad_input(exc)
    chosen = version or DEFAULT_PROTOCOL_VERSION
    if chosen not in embedded_protocol_versions():
        fail_bad_input(
            InputError.single(
                "--protocol-version",
                "version",
                f"no embedded version {chosen!r} (known: {', '.join(embedded_protocol_versions())})",
            )
        )
    return embedded_protocol(chosen)


def _render(protocol: Protocol) -> None:
    stdout.print(f"[bold]{protocol.title}[/]")
    stdout.print(f"{protocol.ref}  ({protocol.status}; product: {protocol.product})", highlight=False)
    if protocol.amends:
        stdout.print(f"amends version {protocol.amends}", highlight=False)
    if protocol.assumption:
        stdout.print(f"[yellow]assumption[/]: {protocol.assumption}", highlight=False)
    doses = Table(title="Dose levels (CAR+ T cells, flat dose)")
    for column in ("level", "label", "cells", "role", "alternative"):
        doses.add_column(column)
    for level in protocol.dose_levels:
        alternative = (
            f"{level.alternative_car_t_cells / 1e6:g} x10^6" if level.alternative_car_t_cells else ""
        )
        doses.add_row(
            str(level.number), level.label, f"{level.car_t_cells / 1e6:g} x10^6", level.role, alternative
        )
    stdout.print(doses)
    design = protocol.design
    stdout.print(
        f"Design: {design.name}, cohort size {design.cohort_size}"
        + (f", target DLT rate {design.target_dlt_rate}" if design.target_dlt_rate else "")
        + f"; DLT window {protocol.dlt.window_days} days, {len(protocol.dlt.rules)} DLT rules",
        highlight=False,
    )
    rules = Table(title="DLT rules")
    rules.add_column("id")
    rules.add_column("rule")
    for rule in protocol.dlt.rules:
        rules.add_row(rule.id, rule.description)
    stdout.print(rules)
    visits = Table(title="Visit schedule (day 0 = infusion)")
    visits.add_column("visit")
    visits.add_column("day")
    visits.add_column("window")
    for visit in protocol.schedule.visits:
        day = "site-scheduled" if visit.day is None else str(visit.day)
        window = f"-{visit.window_before_days}/+{visit.window_after_days}" if visit.day is not None else ""
        visits.add_row(visit.name, day, window)
    stdout.print(visits)
    readings = Table(title="Readings of the registered text (docs/protocol-readings.md)")
    readings.add_column("id")
    readings.add_column("reading")
    for reading in protocol.readings:
        readings.add_row(reading.id, reading.reading)
    stdout.print(readings)


def register(app: typer.Typer) -> None:
    app.add_typer(protocol_app, name="protocol")


@protocol_app.command("show")
def show(
    version: str | None = typer.Option(
        None, "--version", "-v", help="embedded version (default: registered)"
    ),
    file: Path | None = typer.Option(None, "--file", "-f", help="a protocol TOML file instead"),
    as_json: bool = typer.Option(False, "--json", help="print the protocol as JSON"),
) -> None:
    """Show a protocol version: dose levels, design, DLT rules, schedule, readings."""
    protocol = load_protocol_option(version, file)
    if as_json:
        print_json(protocol.model_dump(mode="json"))
    else:
        _render(protocol)


@protocol_app.command("list")
def list_versions() -> None:
    """List the embedded protocol versions."""
    for version in embedded_protocol_versions():
        protocol = embedded_protocol(version)
        default = "  (default)" if version == DEFAULT_PROTOCOL_VERSION else ""
        stdout.print(f"{protocol.ref}  {protocol.status}{default}", highlight=False)


@protocol_app.command("validate")
def validate(file: Path = typer.Argument(..., help="protocol TOML file")) -> None:
    """Validate a protocol file; exit 2 with every bad field named if it is not valid."""
    protocol = load_protocol_option(None, file)
    stderr.print(f"valid: {protocol.ref}", highlight=False)
