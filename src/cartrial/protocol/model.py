"""The computable protocol: a typed, immutable model of one protocol version.

A protocol version is data (one TOML file per version). Every threshold a criterion, a design or a
DLT rule uses lives here with its default, so an amendment is a new file, never a code change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveDecimal = Annotated[Decimal, Field(gt=0)]
Probability = Annotated[float, Field(gt=0, lt=1)]


class FrozenModel(BaseModel):
    """Base of every protocol value: immutable, and unknown keys are an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


DoseRole = Literal["backup", "start", "escalation"]


class DoseLevel(FrozenModel):
    """One dose level; `number` is 1 at the lowest level, as the outcome notation `1NNN 2NTN` counts."""

    number: PositiveInt
    label: str = Field(min_length=1, description="the protocol's own name, e.g. 'DL-1' or 'DL1'")
    car_t_cells: PositiveInt = Field(description="flat total dose, CAR+ T cells (not per kg)")
    role: DoseRole
    alternative_car_t_cells: PositiveInt | None = Field(
        default=None,
        description="a declared alternative dose for this level, e.g. '100 (or 150) x10^6'",
    )

    def describe(self) -> str:
        """The label with the dose in millions of CAR+ T cells.

        >>> DoseLevel(number=2, label="DL1", car_t_cells=25_000_000, role="start").describe()
        'DL1 (25×10⁶)'
        """
        return f"{self.label} ({self.car_t_cells / 1e6:g}×10⁶)"


DesignName = Literal["3+3", "boin", "mtpi2", "i3+3", "crm", "tite-crm", "tite-boin", "boin12"]


class EscalationDesignSpec(FrozenModel):
    """Which escalation design the protocol uses and its parameters (the engine is `cartrial.escalation`)."""

    name: DesignName = "3+3"
    cohort_size: PositiveInt = 3
    max_subjects: PositiveInt | None = None
    target_dlt_rate: Probability | None = Field(
        default=None, description="target DLT probability (phi) for model-assisted and model-based designs"
    )
    parameters: dict[str, float | int | bool | str | list[float]] = Field(
        default_factory=dict,
        description="design-specific settings named as statisticians name them (e.g. cutoff_eli, skeleton)",
    )

    @model_validator(mode="after")
    def _target_required(self) -> EscalationDesignSpec:
        if self.name != "3+3" and self.target_dlt_rate is None:
            raise ValueError(f"design {self.name!r} needs target_dlt_rate")
        return self


class DltRuleSpec(FrozenModel):
    """One dose-limiting-toxicity rule. `kind` names the rule; the other fields are its parameters.

    The registry record states no DLT rules; the defaults shipped are those typical of CD19 CAR-T
    phase I protocols (see docs/protocol-readings.md). The safety core interprets each kind.
    """

    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, float | int | bool | str | list[str]] = Field(default_factory=dict)


class DltSpec(FrozenModel):
    window_days: PositiveInt = 28
    rules: tuple[DltRuleSpec, ...] = ()


class Visit(FrozenModel):
    """A scheduled visit; `day` counts from infusion (day 0), negative before it.

    `day` is None for a visit the site schedules itself (screening, leukapheresis): the registry
    record gives no day for them.
    """

    name: str = Field(min_length=1)
    day: int | None = None
    window_before_days: NonNegativeInt = 0
    window_after_days: NonNegativeInt = 0


class VisitSchedule(FrozenModel):
    screening_window_days: PositiveInt = 28
    visits: tuple[Visit, ...]

    @model_validator(mode="after")
    def _ordered(self) -> VisitSchedule:
        days = [v.day for v in self.visits if v.day is not None]
        if days != sorted(days):
            raise ValueError("visits must be listed in order of day")
        names = [v.name for v in self.visits]
        if len(set(names)) != len(names):
            raise ValueError("visit names must be unique")
        return self


class EligibilityParameters(FrozenModel):
    """Every number and list the eligibility criteria use. Defaults: the registered protocol."""

    age_min_years: NonNegativeInt = 18
    age_max_years: NonNegativeInt = 70
    classification_criteria: Literal["ACR1997", "SLICC2012", "EULAR_ACR2019"] = "ACR1997"
    sle_history_min_months: NonNegativeInt = 6
    disease_active_min_months: NonNegativeInt = 2
    standard_regimen_min_months: NonNegativeInt = 2
    standard_regimen_drugs: tuple[str, ...]
    immunosuppressants: tuple[str, ...]
    biologics: tuple[str, ...] = ()
    biologics_count_as_immunomodulators: bool = True
    glucocorticoid_table: Literal["BNF", "US"] = "BNF"
    prednisone_min_mg_per_day: PositiveDecimal = Decimal("7.5")
    prednisone_max_mg_per_day: PositiveDecimal = Decimal("30")
    steroid_min_treatment_days: PositiveInt = 56
    steroid_stable_min_days: PositiveInt = 15
    no_oral_steroid_meets_steroid_criterion: bool = True
    accepted_autoantibodies: tuple[Literal["ana", "anti_dsdna", "anti_sm"], ...] = (
        "ana",
        "anti_dsdna",
        "anti_sm",
    )
    sledai_min_total: NonNegativeInt = 8
    sledai_min_clinical_if_serology_scored: NonNegativeInt = 6
    sledai_assessment_max_age_days: NonNegativeInt = 28
    proteinuria_max_g_per_24h: PositiveDecimal = Decimal("6")
    creatinine_max_mg_per_dl: PositiveDecimal = Decimal("2.5")
    creatinine_max_umol_per_l: PositiveDecimal = Decimal("221")
    high_dose_prednisone_mg_per_day: PositiveDecimal = Decimal("100")
    high_dose_min_days: PositiveInt = 14
    high_dose_lookback_days: PositiveInt = 56
    prohibited_nephritis_drugs: tuple[str, ...] = ()
    lupus_crisis_lookback_days: NonNegativeInt = 56
    iga_min_mg_per_dl: PositiveDecimal = Decimal("10")
    lab_max_age_days: NonNegativeInt = 28

    @model_validator(mode="after")
    def _ranges(self) -> EligibilityParameters:
        if self.age_min_years > self.age_max_years:
            raise ValueError("age_min_years must not exceed age_max_years")
        if self.prednisone_min_mg_per_day > self.prednisone_max_mg_per_day:
            raise ValueError("prednisone_min_mg_per_day must not exceed prednisone_max_mg_per_day")
        return self


class Reading(FrozenModel):
    """How the protocol reads an ambiguous or garbled passage of the registered text."""

    id: str = Field(min_length=1)
    passage: str = Field(min_length=1, description="the registered text, verbatim")
    reading: str = Field(min_length=1, description="what cartrial takes it to mean")
    setting: str | None = Field(default=None, description="the parameter that holds the choice, if any")


class Protocol(FrozenModel):
    """One version of the protocol. Every screening, dose decision and result names `ref`."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1, pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$")
    title: str = Field(min_length=1)
    product: str = Field(min_length=1)
    status: Literal["registered", "amendment", "draft"]
    amends: str | None = Field(default=None, description="the version this one amends")
    assumption: str | None = Field(
        default=None, description="where this version rests on our assumption rather than a source"
    )
    dose_levels: tuple[DoseLevel, ...] = Field(min_length=1)
    design: EscalationDesignSpec
    dlt: DltSpec
    eligibility: EligibilityParameters
    schedule: VisitSchedule
    readings: tuple[Reading, ...] = ()

    @property
    def ref(self) -> str:
        """`id@version`, the name results carry."""
        return f"{self.id}@{self.version}"

    @property
    def start_dose(self) -> DoseLevel:
        return next(level for level in self.dose_levels if level.role == "start")

    def dose_level(self, number: int) -> DoseLevel:
        for level in self.dose_levels:
            if level.number == number:
                return level
        raise KeyError(f"dose level {number} is not in protocol {self.ref}")

    @model_validator(mode="after")
    def _dose_levels_consistent(self) -> Protocol:
        numbers = [level.number for level in self.dose_levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("dose_levels must be numbered 1, 2, ... from the lowest, in order")
        cells = [level.car_t_cells for level in self.dose_levels]
        if cells != sorted(cells) or len(set(cells)) != len(cells):
            raise ValueError("dose_levels must strictly increase in car_t_cells")
        starts = [level for level in self.dose_levels if level.role == "start"]
        if len(starts) != 1:
            raise ValueError("exactly one dose level must have role 'start'")
        start_number = starts[0].number
        for level in self.dose_levels:
            expected = "backup" if level.number < start_number else None
            if expected and level.role != "backup":
                raise ValueError(f"dose level {level.number} is below the start dose: role must be 'backup'")
            if level.number > start_number and level.role != "escalation":
                raise ValueError(
                    f"dose level {level.number} is above the start dose: role must be 'escalation'"
                )
            if level.alternative_car_t_cells is not None and level.alternative_car_t_cells <= (
                level.car_t_cells
            ):
                raise ValueError(
                    f"dose level {level.number}: alternative_car_t_cells must exceed car_t_cells"
                )
        rule_ids = [rule.id for rule in self.dlt.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("dlt.rules ids must be unique")
        return self
