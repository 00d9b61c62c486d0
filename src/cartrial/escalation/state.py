"""The patients so far, as JSON (`STATE.json`) or from the outcome notation, and their counts per dose."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cartrial.errors import FieldError, InputError
from cartrial.escalation.interface import DoseOutcomes

DltStatus = Literal["yes", "no", "pending"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PatientOutcome(_Frozen):
    """One treated patient. `dlt` is 'pending' while the DLT window is open and no DLT has occurred."""

    dose_level: Annotated[int, Field(gt=0, description="1 = the lowest dose level")]
    dlt: DltStatus
    followup_days: Annotated[float | None, Field(ge=0, description="days of DLT follow-up so far")] = None
    efficacy: bool | None = Field(default=None, description="efficacy outcome; null = not known")
    backfill: bool = Field(
        default=False, description="treated in a backfill cohort below the escalation dose (BF-BOIN)"
    )
    id: str | None = None


class EscalationState(_Frozen):
    """The patients treated so far, in order of treatment (`cartrial schema escalation-state`)."""

    patients: tuple[PatientOutcome, ...] = ()
    current_dose: Annotated[
        int | None, Field(gt=0, description="dose of the current cohort; default: the last patient's")
    ] = None


def summarise_outcomes(state: EscalationState, n_doses: int, source: str = "state") -> DoseOutcomes:
    """Count patients, DLTs and pending patients per dose; reject levels outside 1..n_doses."""
    errors = [
        FieldError(f"patients[{i}].dose_level", f"dose level {p.dose_level} is not in 1..{n_doses}")
        for i, p in enumerate(state.patients)
        if p.dose_level > n_doses
    ]
    if state.current_dose is not None and state.current_dose > n_doses:
        errors.append(FieldError("current_dose", f"dose level {state.current_dose} is not in 1..{n_doses}"))
    if errors:
        raise InputError(source, tuple(errors))
    treated = [0] * n_doses
    dlts = [0] * n_doses
    pending = [0] * n_doses
    efficacies: list[int | None] = [0] * n_doses
    both: list[int | None] = [0] * n_doses
    followup: list[list[float | None]] = [[] for _ in range(n_doses)]
    for p in state.patients:
        k = p.dose_level - 1
        if p.dlt == "pending":
            pending[k] += 1
            followup[k].append(p.followup_days)
        else:
            treated[k] += 1
            dlts[k] += p.dlt == "yes"
        count = efficacies[k]
        efficacies[k] = None if p.efficacy is None or count is None else count + p.efficacy
        joint = both[k]
        both[k] = None if p.efficacy is None or joint is None else joint + (p.efficacy and p.dlt == "yes")
    escalation = [p for p in state.patients if not p.backfill]
    current = state.current_dose
    if current is None and escalation:
        current = escalation[-1].dose_level
    recent: list[int] = []
    for p in reversed(escalation):
        if p.dose_level != current:
            break
        if p.dlt != "pending":
            recent.append(int(p.dlt == "yes"))
    return DoseOutcomes(
        treated=tuple(treated),
        dlts=tuple(dlts),
        pending=tuple(pending),
        current_dose=current,
        efficacies=tuple(efficacies),
        pending_followup=tuple(tuple(days) for days in followup),
        dlt_and_efficacy=tuple(both),
        recent_dlts=tuple(reversed(recent)),
        backfill_pending=tuple(
            sum(p.backfill and p.dlt == "pending" and p.dose_level == level for p in state.patients)
            for level in range(1, n_doses + 1)
        )
        if len(escalation) < len(state.patients)
        else (),
    )


def outcomes_from_counts(
    treated: tuple[int, ...], dlts: tuple[int, ...], current_dose: int | None, source: str = "counts"
) -> DoseOutcomes:
    """Outcomes from counts per dose (no pending patients); a DLT count above n is bad input."""
    errors = [
        FieldError(f"dlts[{i}]", f"{y} DLTs among {n} patients at dose {i + 1}")
        for i, (n, y) in enumerate(zip(treated, dlts, strict=True))
        if y > n or y < 0 or n < 0
    ]
    if errors:
        raise InputError(source, tuple(errors))
    return DoseOutcomes(treated, dlts, (0,) * len(treated), current_dose)
