"""From the protocol's design spec (and flags that override it) to a ready design stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from cartrial.errors import InputError
from cartrial.escalation.designs.backfill import BACKFILL_DEFAULT_CAP, BackfillBoin
from cartrial.escalation.designs.boin import calculate_validated_boin_lambdas, make_boin_design
from cartrial.escalation.designs.boin12 import (
    BOIN12_C_E,
    BOIN12_C_T,
    BOIN12_N_STAR,
    BOIN12_U1,
    BOIN12_U2,
    BOIN12_U3,
    BOIN12_U4,
    Boin12,
)
from cartrial.escalation.designs.crm import (
    CRM_LOGISTIC_INTERCEPT,
    CRM_PRIOR_VARIANCE,
    Crm,
    CrmModel,
    CrmModelName,
    calculate_skeleton,
    make_crm_design,
)
from cartrial.escalation.designs.i3plus3 import I3Plus3Signal
from cartrial.escalation.designs.interval import IntervalDesign
from cartrial.escalation.designs.mtpi2 import Mtpi2Signal
from cartrial.escalation.designs.threeplusthree import (
    ThreePlusThree,
    ThreePlusThreeSettings,
    select_three_plus_three_mtd,
)
from cartrial.escalation.designs.tite_boin import TITE_METHODS, TiteBoin, TiteMethod
from cartrial.escalation.designs.tpi import EPSILON_DEFAULT, make_equivalence_interval_design
from cartrial.escalation.interface import Design, DoseOutcomes
from cartrial.escalation.rules import (
    ELIMINATION_CUTOFF,
    EXTRA_SAFE_OFFSET,
    MAX_PENDING_FRACTION,
    CoherentEscalation,
    DontSkipDoses,
    EliminateToxicDoses,
    StopAtMaxN,
    StopAtNAtDose,
    SuspendWhenTooManyPending,
    SuspendWhileEscalationPending,
    SuspendWhilePending,
)
from cartrial.escalation.selection import MtdSelection, calculate_isotonic_estimates, select_boin_mtd
from cartrial.protocol import EscalationDesignSpec, Protocol

DesignName = Literal["3+3", "boin", "mtpi2", "i3+3", "crm", "tite-crm", "boin12", "tite-boin"]
SUPPORTED_DESIGNS: tuple[str, ...] = get_args(DesignName)
# The protocol model's default DLT window (cartrial.protocol.DltSpec), used without a protocol.
DEFAULT_DLT_WINDOW_DAYS = 28.0
# R BOIN get.oc / get.boundary: n.earlystop = 100 "essentially turns off" the cap.
BOIN_DEFAULT_N_EARLYSTOP = 100


@dataclass(frozen=True, slots=True)
class DesignSettings:
    """Every setting a design reads, named as statisticians name them; None = the design's default."""

    design: str
    n_doses: int
    start_dose: int
    cohort_size: int = 3
    max_n: int | None = None
    target: float | None = None
    cutoff_eli: float = ELIMINATION_CUTOFF
    extra_safe: bool = False
    offset: float = EXTRA_SAFE_OFFSET
    n_earlystop: int = BOIN_DEFAULT_N_EARLYSTOP
    p_saf: float | None = None
    p_tox: float | None = None
    confirm_mtd_with_six: bool = True
    accept_two_of_six: bool = False
    epsilon1: float = EPSILON_DEFAULT
    epsilon2: float = EPSILON_DEFAULT
    skeleton: tuple[float, ...] | None = None
    skeleton_halfwidth: float | None = None
    skeleton_nu: int | None = None
    model: str = "empiric"
    prior_var: float = CRM_PRIOR_VARIANCE
    intercept: float = CRM_LOGISTIC_INTERCEPT
    window_days: float = DEFAULT_DLT_WINDOW_DAYS
    max_pending_fraction: float = MAX_PENDING_FRACTION
    coherent_escalation: bool = True
    phi_e: float | None = None
    u1: float = BOIN12_U1
    u2: float = BOIN12_U2
    u3: float = BOIN12_U3
    u4: float = BOIN12_U4
    n_star: int = BOIN12_N_STAR
    c_t: float = BOIN12_C_T
    c_e: float = BOIN12_C_E
    backfill: bool = False
    backfill_cap: int = BACKFILL_DEFAULT_CAP
    tite_method: str = "lin-yuan2020"


PARAMETER_TYPES: dict[str, type] = {
    "cutoff_eli": float,
    "extra_safe": bool,
    "offset": float,
    "n_earlystop": int,
    "p_saf": float,
    "p_tox": float,
    "confirm_mtd_with_six": bool,
    "accept_two_of_six": bool,
    "epsilon1": float,
    "epsilon2": float,
    "skeleton": tuple,
    "skeleton_halfwidth": float,
    "skeleton_nu": int,
    "model": str,
    "prior_var": float,
    "intercept": float,
    "max_pending_fraction": float,
    "coherent_escalation": bool,
    "phi_e": float,
    "u1": float,
    "u2": float,
    "u3": float,
    "u4": float,
    "n_star": int,
    "c_t": float,
    "c_e": float,
    "backfill": bool,
    "backfill_cap": int,
    "tite_method": str,
}


def check_parameter_type(field: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is bool and isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind is tuple and isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value):
        return tuple(float(v) for v in value)
    raise InputError.single("design", field, f"expected {kind.__name__}, got {value!r}")


def settings_from_protocol(protocol: Protocol) -> DesignSettings:
    """The design settings of a protocol version: its dose levels, start dose and design spec."""
    settings = settings_from_spec(protocol.design, len(protocol.dose_levels), protocol.start_dose.number)
    return replace(settings, window_days=float(protocol.dlt.window_days))


def settings_from_spec(spec: EscalationDesignSpec, n_doses: int, start_dose: int) -> DesignSettings:
    values: dict[str, Any] = {
        "design": spec.name,
        "n_doses": n_doses,
        "start_dose": start_dose,
        "cohort_size": spec.cohort_size,
        "max_n": spec.max_subjects,
        "target": spec.target_dlt_rate,
    }
    for key, value in spec.parameters.items():
        if key not in PARAMETER_TYPES:
            raise InputError.single(
                "design",
                f"design.parameters.{key}",
                f"unknown parameter (known: {', '.join(PARAMETER_TYPES)})",
            )
        values[key] = check_parameter_type(f"design.parameters.{key}", value, PARAMETER_TYPES[key])
    return DesignSettings(**values)


def override_settings(settings: DesignSettings, overrides: Mapping[str, Any]) -> DesignSettings:
    """Apply flag values (None = not given) and validate the result; errors name the flag's field."""
    known = {f.name for f in fields(DesignSettings)}
    given = {key: value for key, value in overrides.items() if value is not None}
    unknown = set(given) - known
    if unknown:
        raise InputError.single("design", sorted(unknown)[0], "unknown setting")
    settings = replace(settings, **given)
    validate_settings(settings)
    return settings


def validate_settings(settings: DesignSettings) -> None:
    """Raise InputError naming the first setting that cannot be used."""
    checks: list[tuple[bool, str, str]] = [
        (
            settings.design in SUPPORTED_DESIGNS,
            "design",
            f"{settings.design!r} is not one of {SUPPORTED_DESIGNS}",
        ),
        (settings.n_doses >= 1, "doses", f"need at least one dose level, got {settings.n_doses}"),
        (
            1 <= settings.start_dose <= settings.n_doses,
            "start_dose",
            f"dose level {settings.start_dose} is not in 1..{settings.n_doses}",
        ),
        (settings.cohort_size >= 1, "cohort_size", f"must be at least 1, got {settings.cohort_size}"),
        (settings.max_n is None or settings.max_n >= 1, "max_n", f"must be at least 1, got {settings.max_n}"),
        (
            settings.target is None or 0 < settings.target < 1,
            "target",
            f"a DLT probability must lie in (0, 1), got {settings.target}",
        ),
        (
            0 < settings.cutoff_eli <= 1,
            "cutoff_eli",
            f"must lie in (0, 1] (1: never), got {settings.cutoff_eli}",
        ),
        (0 <= settings.offset < 0.5, "offset", f"must lie in [0, 0.5), got {settings.offset}"),
        (settings.n_earlystop >= 1, "n_earlystop", f"must be at least 1, got {settings.n_earlystop}"),
        (settings.backfill_cap >= 1, "backfill_cap", f"must be at least 1, got {settings.backfill_cap}"),
        (
            not settings.backfill or settings.design == "boin",
            "backfill",
            f"backfill cohorts are a BOIN option (BF-BOIN), not for {settings.design!r}",
        ),
    ]
    for ok, field, reason in checks:
        if not ok:
            raise InputError.single("design", field, reason)
    if settings.design != "3+3" and settings.target is None:
        raise InputError.single("design", "target", f"design {settings.design!r} needs a target DLT rate")
    if settings.model not in ("empiric", "logistic"):
        raise InputError.single("design", "model", f"must be empiric or logistic, got {settings.model!r}")
    if not settings.window_days > 0:
        raise InputError.single("design", "window_days", f"must be positive, got {settings.window_days}")
    if settings.tite_method not in TITE_METHODS:
        raise InputError.single(
            "design", "tite_method", f"{settings.tite_method!r} is not one of {TITE_METHODS}"
        )
    if not 0 <= settings.max_pending_fraction <= 1:
        raise InputError.single("design", "max_pending_fraction", "must lie in [0, 1]")
    if settings.design == "boin12" and settings.phi_e is None:
        raise InputError.single("design", "phi_e", "BOIN12 needs the lowest acceptable efficacy rate phi_e")
    crm_family = settings.design in ("crm", "tite-crm")
    if crm_family and settings.skeleton is None and settings.skeleton_halfwidth is None:
        raise InputError.single(
            "design",
            "skeleton",
            "CRM needs a skeleton, or skeleton_halfwidth to calibrate one (Lee & Cheung 2009)",
        )


def calculate_design_skeleton(settings: DesignSettings) -> tuple[float, ...]:
    """The CRM skeleton: given, or calibrated by indifference intervals around the prior MTD guess.

    The prior guess `skeleton_nu` defaults to the start dose.
    """
    if settings.skeleton is not None:
        return settings.skeleton
    assert settings.skeleton_halfwidth is not None and settings.target is not None  # validated
    nu = settings.start_dose if settings.skeleton_nu is None else settings.skeleton_nu
    model: CrmModelName = "logistic" if settings.model == "logistic" else "empiric"
    return calculate_skeleton(
        settings.skeleton_halfwidth, settings.target, nu, settings.n_doses, model, settings.intercept
    )


def make_crm_model(settings: DesignSettings) -> CrmModel:
    model: CrmModelName = "logistic" if settings.model == "logistic" else "empiric"
    return CrmModel(calculate_design_skeleton(settings), model, settings.prior_var, settings.intercept)


def make_interval_core(settings: DesignSettings) -> IntervalDesign:
    """The bare signal-driven design of BOIN, mTPI-2 or i3+3 (no elimination or stopping rules)."""
    assert settings.target is not None  # validate_settings guarantees it
    k, start, target = settings.n_doses, settings.start_dose, settings.target
    if settings.design == "boin":
        return make_boin_design(k, start, target, settings.p_saf, settings.p_tox, settings.cutoff_eli)
    signal = Mtpi2Signal if settings.design == "mtpi2" else I3Plus3Signal
    return make_equivalence_interval_design(
        settings.design, signal, k, start, target, settings.epsilon1, settings.epsilon2
    )


def make_boin12(settings: DesignSettings) -> Boin12:
    assert settings.target is not None and settings.phi_e is not None  # validate_settings guarantees it
    return Boin12(
        settings.n_doses,
        settings.start_dose,
        settings.target,
        settings.phi_e,
        settings.u1,
        settings.u2,
        settings.u3,
        settings.u4,
        settings.n_star,
        settings.c_t,
        settings.c_e,
    )


def make_crm(settings: DesignSettings) -> Crm:
    """The CRM or TITE-CRM core of the settings (no pending-patient rule), grid included."""
    assert settings.target is not None  # validate_settings guarantees it
    tite = settings.design == "tite-crm"
    return make_crm_design(
        settings.n_doses,
        settings.start_dose,
        settings.target,
        make_crm_model(settings),
        settings.cutoff_eli,
        settings.window_days if tite else None,
    )


def build_design(settings: DesignSettings) -> Design:
    """The configured design with its rules stacked in R's order of precedence."""
    validate_settings(settings)
    design: Design
    if settings.design == "3+3":
        variant = ThreePlusThreeSettings(settings.confirm_mtd_with_six, settings.accept_two_of_six)
        design = SuspendWhilePending(ThreePlusThree(settings.n_doses, settings.start_dose, variant))
    elif settings.design == "tite-boin":
        assert settings.target is not None  # validate_settings guarantees it
        calculate_validated_boin_lambdas(settings.target, settings.p_saf, settings.p_tox)
        method: TiteMethod = "yuan2018" if settings.tite_method == "yuan2018" else "lin-yuan2020"
        core = TiteBoin(
            settings.n_doses,
            settings.start_dose,
            settings.target,
            settings.window_days,
            settings.p_saf,
            settings.p_tox,
            method,
            settings.max_pending_fraction,
        )
        eliminate = EliminateToxicDoses(
            core, settings.target, settings.cutoff_eli, settings.extra_safe, settings.offset
        )
        design = StopAtNAtDose(eliminate, settings.n_earlystop)
        if method == "lin-yuan2020":
            # Yuan et al. 2018's core suspends by itself: its certain de-escalation passes the rule.
            design = SuspendWhenTooManyPending(design, settings.max_pending_fraction)
    elif settings.design == "boin12":
        design = SuspendWhilePending(StopAtNAtDose(make_boin12(settings), settings.n_earlystop))
    elif settings.design in ("crm", "tite-crm"):
        assert settings.target is not None  # validate_settings guarantees it
        tite = settings.design == "tite-crm"
        # dfcrm crmsim's restrictions; titesim applies no skipping only.
        crm: Design = DontSkipDoses(make_crm(settings))
        if settings.coherent_escalation and not tite:
            crm = CoherentEscalation(crm, settings.target, settings.cohort_size)
        design = (
            SuspendWhenTooManyPending(crm, settings.max_pending_fraction)
            if tite
            else SuspendWhilePending(crm)
        )
    elif settings.backfill:
        assert settings.target is not None  # validate_settings guarantees it
        lambda_e, lambda_d = calculate_validated_boin_lambdas(settings.target, settings.p_saf, settings.p_tox)
        backfill = BackfillBoin(
            settings.n_doses,
            settings.start_dose,
            settings.target,
            lambda_e,
            lambda_d,
            settings.cutoff_eli,
            settings.backfill_cap,
        )
        eliminate = EliminateToxicDoses(
            backfill, settings.target, settings.cutoff_eli, settings.extra_safe, settings.offset
        )
        design = SuspendWhileEscalationPending(StopAtNAtDose(eliminate, settings.n_earlystop))
    else:
        assert settings.target is not None  # validate_settings guarantees it
        eliminate = EliminateToxicDoses(
            make_interval_core(settings),
            settings.target,
            settings.cutoff_eli,
            settings.extra_safe,
            settings.offset,
        )
        design = SuspendWhilePending(StopAtNAtDose(eliminate, settings.n_earlystop))
    if settings.max_n is not None:
        design = StopAtMaxN(design, settings.max_n)
    return design


def select_mtd(outcomes: DoseOutcomes, settings: DesignSettings) -> MtdSelection:
    """The MTD by the design's own rule, with R BOIN's isotonic estimates per dose."""
    validate_settings(settings)
    if settings.design == "3+3":
        variant = ThreePlusThreeSettings(settings.confirm_mtd_with_six, settings.accept_two_of_six)
        mtd = select_three_plus_three_mtd(outcomes, variant)
        return MtdSelection(mtd, (), calculate_isotonic_estimates(outcomes, settings.target))
    if settings.design == "boin12":
        obd = make_boin12(settings).select_obd(outcomes)
        return MtdSelection(obd, (), calculate_isotonic_estimates(outcomes, settings.target))
    if settings.design in ("crm", "tite-crm"):
        # dfcrm's final `mtd`: the model's recommendation on all the data, without the restrictions.
        decision = make_crm(settings).decide(replace(outcomes, current_dose=outcomes.n_doses))
        estimates = calculate_isotonic_estimates(outcomes, settings.target)
        return MtdSelection(decision.next_dose, decision.eliminated, estimates)
    assert settings.target is not None  # validate_settings guarantees it
    return select_boin_mtd(
        outcomes, settings.target, settings.cutoff_eli, settings.extra_safe, settings.offset
    )
