"""`cartrial`: the console entry point. Each topic registers its commands from its own module.

Exit codes (every command): 0 success, 1 unexpected failure, 2 bad input (the message names the
field and reason). `cartrial screen` adds 3 ineligible and 4 incomplete.
"""

from __future__ import annotations

import typer

from cartrial.cli import (
    db_cmd,
    demo_cmd,
    escalation_cmd,
    kinetics_cmd,
    protocol_cmd,
    response_cmd,
    safety_cmd,
    schema_cmd,
    screen_cmd,
    serve_cmd,
    simulate_cmd,
)

app = typer.Typer(
    name="cartrial",
    help="cartrial runs a phase I CAR-T dose-escalation trial in SLE: screening, dosing, safety, kinetics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (
    db_cmd,
    demo_cmd,
    protocol_cmd,
    schema_cmd,
    screen_cmd,
    escalation_cmd,
    simulate_cmd,
    kinetics_cmd,
    safety_cmd,
    response_cmd,
    serve_cmd,
):
    module.register(app)


def main() -> None:
    app()
