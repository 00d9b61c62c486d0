"""The design flags shared by the escalation commands: each flag defined once, picked per command."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cartrial.cli.common import fail_bad_input
from cartrial.cli.protocol_cmd import load_protocol_option
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.escalation import DesignSettings

DESIGN_HELP = "design: 3+3, boin, mtpi2, i3+3, crm, tite-crm or boin12 (default: the protocol's)"


# Flags that choose where the settings come from rather than override one of them.
_SOURCE_FLAGS = ("doses", "protocol_version", "protocol_file")


def overrides_from_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The design flags as `override_settings` takes them (the skeleton parsed)."""
    overrides = {name: value for name, value in flags.items() if name not in _SOURCE_FLAGS}
    if overrides.get("skeleton") is not None:
        overrides["skeleton"] = parse_rates(overrides["skeleton"], "--skeleton")
    return overrides


def settings_from_flags(flags: Mapping[str, Any]) -> DesignSettings:
    """Settings from the protocol (or `--doses N`, starting at level 1), overridden by the flags."""
    from cartrial.escalation import DesignSettings, override_settings, settings_from_protocol

    if flags["doses"] is not None:
        base = DesignSettings(design=flags["design"] or "3+3", n_doses=flags["doses"], start_dose=1)
    else:
        base = settings_from_protocol(load_protocol_option(flags["protocol_version"], flags["protocol_file"]))
    return override_settings(base, overrides_from_flags(flags))


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
TITE_METHOD_OPTION = typer.Option(
    None,
    "--tite-method",
    help="TITE-BOIN: lin-yuan2020 (effective sample size, default) or yuan2018 (imputation, STFT)",
)
START_OPTION = typer.Option(None, "--start-dose", help="start dose level (default: the protocol's)")
PROTOCOL_VERSION_OPTION = typer.Option(None, "--protocol-version", help="embedded protocol version")
PROTOCOL_FILE_OPTION = typer.Option(None, "--protocol-file", help="a protocol TOML file")
JSON_OPTION = typer.Option(False, "--json", help="print JSON")

# Every design flag once: its type and its option; commands pick theirs with `with_design_flags`.
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
    "tite_method": (str | None, TITE_METHOD_OPTION),
    "start_dose": (int | None, START_OPTION),
    "protocol_version": (str | None, PROTOCOL_VERSION_OPTION),
    "protocol_file": (Path | None, PROTOCOL_FILE_OPTION),
}
# The flags of the commands that decide on the patients so far (escalate, pathways).
DECISION_FLAGS = tuple(_DESIGN_FLAGS)


def with_design_flags(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
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


def check_plot_file(plot: Path) -> None:
    """A plot is drawn to a PNG or SVG file (exit 2 otherwise)."""
    if plot.suffix.lower() not in (".png", ".svg"):
        fail_bad_input(InputError.single("--plot", "plot", "the file must end in .png or .svg"))


def parse_rates(text: str, field: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise InputError.single(
            field, field, f"expected comma-separated probabilities, got {text!r}"
        ) from exc
