"""`cartrial response VISITS.json`: SLEDAI/BILAG change, SRI-k, LLDAS and DORIS remission per visit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cartrial.cli.common import fail_bad_input, print_json, stdout
from cartrial.cli.safety_cmd import load_json
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.response import CriterionResult, SubjectResponse


def _render_criterion(result: CriterionResult) -> None:
    from cartrial.response import verdict

    stdout.print(f"  {result.criterion}: {verdict(result.met)}", highlight=False)
    for component in result.components:
        stdout.print(f"    {component.name}: {verdict(component.met)} ({component.reason})", highlight=False)


def _render(response: SubjectResponse) -> None:
    stdout.print(f"[bold]subject {response.subject_id}[/]", highlight=False)
    for visit in response.visits:
        stdout.print(f"[bold]{visit.visit}[/] (day {visit.day})", highlight=False)
        for score in visit.scores:
            stdout.print(
                f"  {score.score}: baseline {score.baseline}, visit {score.visit}, change {score.change}",
                highlight=False,
            )
        for result in (visit.sri, visit.lldas, visit.doris):
            _render_criterion(result)


def response(
    file: Path = typer.Argument(
        ..., help="one subject's visits, baseline first (`cartrial schema response-visits`)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print every visit's scores and criteria as JSON"),
    sri: int = typer.Option(
        4, "--sri", help="SRI level: 4 (SRI-4) to 8 (SRI-8), the SELENA-SLEDAI fall asked for"
    ),
    sri_sledai: str = typer.Option(
        "SELENA-SLEDAI", "--sri-sledai", help="the SLEDAI SRI part (a) reads: SELENA-SLEDAI or SLEDAI-2K"
    ),
    car_t: str = typer.Option(
        "not_investigational",
        "--car-t",
        help="how the CAR-T product counts for LLDAS/DORIS: not_investigational or investigational",
    ),
    table: str = typer.Option(
        "BNF", "--glucocorticoid-table", help="glucocorticoid equivalence table: BNF or US"
    ),
) -> None:
    """Lupus response at each visit: SLEDAI/BILAG change, SRI, LLDAS, DORIS remission with every component."""
    from cartrial.clinical.sledai import SledaiVersion
    from cartrial.response import CarTReading, ResponseSettings, assess_response, parse_response_visits

    if sri_sledai not in {v.value for v in SledaiVersion}:
        fail_bad_input(InputError.single("--sri-sledai", "sri_sledai", "must be SELENA-SLEDAI or SLEDAI-2K"))
    if car_t not in {r.value for r in CarTReading}:
        fail_bad_input(
            InputError.single("--car-t", "car_t", "must be not_investigational or investigational")
        )
    if table not in ("BNF", "US"):
        fail_bad_input(
            InputError.single("--glucocorticoid-table", "glucocorticoid_table", "must be BNF or US")
        )
    try:
        settings = ResponseSettings(
            sri_reduction=sri,
            sri_sledai=SledaiVersion(sri_sledai),
            car_t=CarTReading(car_t),
            glucocorticoid_table="US" if table == "US" else "BNF",
        )
        subject = parse_response_visits(load_json(file), str(file))
    except InputError as exc:
        fail_bad_input(exc)
    result = assess_response(subject, settings)
    if as_json:
        print_json(result.to_json())
    else:
        _render(result)


def register(app: typer.Typer) -> None:
    app.command("response")(response)
