"""SELENA-SLEDAI and SLEDAI-2K disease-activity scores (reference/clinical.md §3).

The input is the 24 descriptors as the assessor scored them. A descriptor that was not assessed is
*unknown*: the score is then a range (unknowns absent .. unknowns present), and a threshold is met,
not met or unknown accordingly. The "clinical" score leaves out the two serological descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from cartrial.clinical.tristate import Tristate


class SledaiVersion(StrEnum):
    SELENA = "SELENA-SLEDAI"
    SLEDAI_2K = "SLEDAI-2K"


class Descriptor(StrEnum):
    SEIZURE = "seizure"
    PSYCHOSIS = "psychosis"
    ORGANIC_BRAIN_SYNDROME = "organic_brain_syndrome"
    VISUAL_DISTURBANCE = "visual_disturbance"
    CRANIAL_NERVE_DISORDER = "cranial_nerve_disorder"
    LUPUS_HEADACHE = "lupus_headache"
    CEREBROVASCULAR_ACCIDENT = "cerebrovascular_accident"
    VASCULITIS = "vasculitis"
    ARTHRITIS = "arthritis"
    MYOSITIS = "myositis"
    URINARY_CASTS = "urinary_casts"
    HAEMATURIA = "haematuria"
    PROTEINURIA = "proteinuria"
    PYURIA = "pyuria"
    RASH = "rash"
    ALOPECIA = "alopecia"
    MUCOSAL_ULCERS = "mucosal_ulcers"
    PLEURISY = "pleurisy"
    PERICARDITIS = "pericarditis"
    LOW_COMPLEMENT = "low_complement"
    INCREASED_DNA_BINDING = "increased_dna_binding"
    FEVER = "fever"
    THROMBOCYTOPENIA = "thrombocytopenia"
    LEUKOPENIA = "leukopenia"


# Descriptor weights: Bombardier et al. 1992 (SLEDAI); the same weights in SELENA-SLEDAI
# (Petri et al. NEJM 2005) and SLEDAI-2K (Gladman et al. J Rheumatol 2002). Maximum 105.
SLEDAI_WEIGHTS: dict[Descriptor, int] = {
    Descriptor.SEIZURE: 8,
    Descriptor.PSYCHOSIS: 8,
    Descriptor.ORGANIC_BRAIN_SYNDROME: 8,
    Descriptor.VISUAL_DISTURBANCE: 8,
    Descriptor.CRANIAL_NERVE_DISORDER: 8,
    Descriptor.LUPUS_HEADACHE: 8,
    Descriptor.CEREBROVASCULAR_ACCIDENT: 8,
    Descriptor.VASCULITIS: 8,
    Descriptor.ARTHRITIS: 4,
    Descriptor.MYOSITIS: 4,
    Descriptor.URINARY_CASTS: 4,
    Descriptor.HAEMATURIA: 4,
    Descriptor.PROTEINURIA: 4,
    Descriptor.PYURIA: 4,
    Descriptor.RASH: 2,
    Descriptor.ALOPECIA: 2,
    Descriptor.MUCOSAL_ULCERS: 2,
    Descriptor.PLEURISY: 2,
    Descriptor.PERICARDITIS: 2,
    Descriptor.LOW_COMPLEMENT: 2,
    Descriptor.INCREASED_DNA_BINDING: 2,
    Descriptor.FEVER: 1,
    Descriptor.THROMBOCYTOPENIA: 1,
    Descriptor.LEUKOPENIA: 1,
}
SEROLOGICAL_DESCRIPTORS: frozenset[Descriptor] = frozenset(
    {Descriptor.LOW_COMPLEMENT, Descriptor.INCREASED_DNA_BINDING}
)
# Each descriptor in definition order with its weight and whether it is serological, laid out once so
# that scoring (done for every record screened) is one pass with one look-up per descriptor.
_SCORING: tuple[tuple[Descriptor, int, bool], ...] = tuple(
    (d, SLEDAI_WEIGHTS[d], d in SEROLOGICAL_DESCRIPTORS) for d in Descriptor
)
# A descriptor counts if present at the visit or in the preceding 10 days (Bombardier 1992);
# SLEDAI-2K is also validated over 30 days (Touma et al. Lupus 2010).
SLEDAI_DEFAULT_WINDOW_DAYS = 10

# Thresholds for descriptors derived from raw values (reference/clinical.md §3).
SLEDAI_FEVER_ABOVE_CELSIUS = Decimal("38")  # SLEDAI: > 38 °C
SLEDAI_THROMBOCYTOPENIA_BELOW_10E9_PER_L = Decimal("100")  # < 100 ×10⁹/L
SLEDAI_LEUKOPENIA_BELOW_10E9_PER_L = Decimal("3")  # < 3 ×10⁹/L, every version
SLEDAI_PROTEINURIA_ABOVE_G_PER_24H = Decimal("0.5")  # > 0.5 g/24 h
SELENA_PROTEINURIA_RECENT_INCREASE_ABOVE_G_PER_24H = Decimal("0.5")  # SELENA: increase of > 0.5 g/24 h


class SledaiAssessment(BaseModel):
    """The descriptors as scored at one visit. A descriptor left out was not assessed (unknown)."""

    # A descriptor is only true, false or null, the window only an integer. The model is otherwise not
    # strict: the response core validates it from parsed JSON, where its date and version are still
    # text; the screening record's parser reads it strictly (`parse_screening_record`).
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: SledaiVersion
    assessment_date: date
    window_days: StrictInt = Field(default=SLEDAI_DEFAULT_WINDOW_DAYS, ge=1, le=30)
    descriptors: dict[Descriptor, StrictBool | None]


@dataclass(frozen=True, slots=True)
class SledaiScore:
    """A SLEDAI score with what made it: `low`..`high` is its range over the unknown descriptors."""

    version: SledaiVersion
    low: int
    high: int
    clinical_low: int
    clinical_high: int
    present: tuple[Descriptor, ...]
    unknown: tuple[Descriptor, ...]

    @property
    def is_exact(self) -> bool:
        return not self.unknown

    @property
    def serology_scored(self) -> Tristate:
        """Whether low complement or increased DNA binding is scored (unknown if it could be)."""
        if any(d in SEROLOGICAL_DESCRIPTORS for d in self.present):
            return True
        if any(d in SEROLOGICAL_DESCRIPTORS for d in self.unknown):
            return None
        return False


def calculate_sledai(assessment: SledaiAssessment) -> SledaiScore:
    """Score an assessment: the sum of the weights of the present descriptors (0-105).

    >>> a = SledaiAssessment(version="SELENA-SLEDAI", assessment_date=date(2026, 1, 5),
    ...     descriptors={d: False for d in Descriptor} | {"arthritis": True, "low_complement": True})
    >>> s = calculate_sledai(a)
    >>> (s.low, s.high, s.clinical_low)
    (6, 6, 4)
    """
    return score_descriptors(assessment.version, assessment.descriptors)


def score_descriptors(version: SledaiVersion, scored: Mapping[Descriptor, bool | None]) -> SledaiScore:
    """`calculate_sledai` of the descriptors as scored (a descriptor left out is unknown)."""
    present: list[Descriptor] = []
    unknown: list[Descriptor] = []
    total = unknown_weight = serological = unknown_clinical = 0
    for descriptor, weight, is_serological in _SCORING:
        value = scored.get(descriptor)
        if value is True:
            present.append(descriptor)
            total += weight
            if is_serological:
                serological += weight
        elif value is None:
            unknown.append(descriptor)
            unknown_weight += weight
            if not is_serological:
                unknown_clinical += weight
    return SledaiScore(
        version=version,
        low=total,
        high=total + unknown_weight,
        clinical_low=total - serological,
        clinical_high=total - serological + unknown_clinical,
        present=tuple(present),
        unknown=tuple(unknown),
    )


def derive_fever(temperature_celsius: Decimal) -> bool:
    """SLEDAI fever: > 38 °C (the assessor still excludes infection)."""
    return temperature_celsius > SLEDAI_FEVER_ABOVE_CELSIUS


def derive_thrombocytopenia(platelets_10e9_per_l: Decimal) -> bool:
    return platelets_10e9_per_l < SLEDAI_THROMBOCYTOPENIA_BELOW_10E9_PER_L


def derive_leukopenia(white_cells_10e9_per_l: Decimal) -> bool:
    return white_cells_10e9_per_l < SLEDAI_LEUKOPENIA_BELOW_10E9_PER_L


def derive_proteinuria(
    version: SledaiVersion,
    current_g_per_24h: Decimal,
    previous_g_per_24h: Decimal | None,
    new_onset: bool | None = None,
) -> Tristate:
    """Proteinuria descriptor from 24-h urine protein.

    SLEDAI-2K: > 0.5 g/24 h. SELENA-SLEDAI: > 0.5 g/24 h and new onset or a recent increase of
    > 0.5 g/24 h, so it is unknown without the previous value unless onset is known to be new.
    """
    above = current_g_per_24h > SLEDAI_PROTEINURIA_ABOVE_G_PER_24H
    if version is SledaiVersion.SLEDAI_2K or not above:
        return above
    if new_onset:
        return True
    if previous_g_per_24h is None:
        return None
    return current_g_per_24h - previous_g_per_24h > SELENA_PROTEINURIA_RECENT_INCREASE_ABOVE_G_PER_24H


def derive_below_lower_limit(value: Decimal, lower_limit: Decimal) -> bool:
    """Low complement: C3, C4 or CH50 below the reporting lab's lower limit."""
    return value < lower_limit


def derive_above_upper_limit(value: Decimal, upper_limit: Decimal) -> bool:
    """Increased DNA binding: anti-dsDNA above the reporting lab's range."""
    return value > upper_limit
