"""SLE classification criteria: ACR 1997, SLICC 2012 and EULAR/ACR 2019 (reference/clinical.md §4).

The input is the criteria items as the investigator recorded them, each present (True), absent (False)
or unknown (None, the default: missing is never absent). Items are recorded "ever", serially or
simultaneously, and only when not better explained by another cause, as every one of the three sets
requires. Where an item is defined from a raw value, `cartrial.clinical.classification_items` derives
it from the value and its unit.

Each result is exact over the unknowns: *classified* when every way of filling the unknown items in
classifies, *not classified* when none does, *unknown* only when the unknown items could still change
the answer. The score is reported three ways: from the criteria known to be met, and its worst and
best case over the unknowns. See docs/classification-criteria.md for the readings chosen.

>>> classify_acr1997(Acr1997Items(malar_rash=True, oral_ulcers=True, arthritis=True)).result
<Classification.UNKNOWN: 'unknown'>
>>> classify_eular_acr2019(EularAcr2019Items(antinuclear_antibody=False, anti_dsdna=True)).result
<Classification.NOT_CLASSIFIED: 'not_classified'>
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from cartrial.clinical.tristate import Tristate


class CriteriaSet(StrEnum):
    ACR_1997 = "ACR 1997"
    SLICC_2012 = "SLICC 2012"
    EULAR_ACR_2019 = "EULAR/ACR 2019"


class Classification(StrEnum):
    CLASSIFIED = "classified"
    NOT_CLASSIFIED = "not_classified"
    UNKNOWN = "unknown"


class CriterionKind(StrEnum):
    CLINICAL = "clinical"
    IMMUNOLOGICAL = "immunological"


# ACR 1997 (Tan et al. Arthritis Rheum 1982, revised by Hochberg, Arthritis Rheum 1997): SLE if
# >= 4 of the 11 criteria, serially or simultaneously.
ACR1997_CRITERIA_REQUIRED = 4

# SLICC 2012 (Petri et al. Arthritis Rheum 2012): >= 4 criteria, with >= 1 clinical and >= 1
# immunological; or biopsy-proven lupus nephritis with ANA or anti-dsDNA.
SLICC2012_CRITERIA_REQUIRED = 4
SLICC2012_CLINICAL_REQUIRED = 1
SLICC2012_IMMUNOLOGICAL_REQUIRED = 1

# ACR 1997 (Tan et al. 1982) and SLICC 2012 (Petri et al. 2012) count criteria, each one once.
CRITERION_COUNT_WEIGHT = 1

# EULAR/ACR 2019 (Aringer et al. Ann Rheum Dis / Arthritis Rheumatol 2019): with the entry criterion,
# classify if >= 1 clinical criterion and a total of >= 10 (highest weight per domain only).
EULAR_ACR2019_SCORE_REQUIRED = 10
EULAR_ACR2019_CLINICAL_REQUIRED = 1

# EULAR/ACR 2019 criterion weights (Aringer et al. 2019, the criteria table), by criterion id.
EULAR_ACR2019_WEIGHTS: dict[str, int] = {
    "fever": 2,
    "leukopenia": 3,
    "thrombocytopenia": 4,
    "autoimmune_haemolysis": 4,
    "delirium": 2,
    "psychosis": 3,
    "seizure": 5,
    "nonscarring_alopecia": 2,
    "oral_ulcers": 2,
    "subacute_cutaneous_or_discoid_lupus": 4,
    "acute_cutaneous_lupus": 6,
    "pleural_or_pericardial_effusion": 5,
    "acute_pericarditis": 6,
    "joint_involvement": 6,
    "proteinuria": 4,
    "lupus_nephritis_class_ii_or_v": 8,
    "lupus_nephritis_class_iii_or_iv": 10,
    "antiphospholipid_antibodies": 2,
    "low_c3_or_low_c4": 3,
    "low_c3_and_low_c4": 4,
    "anti_dsdna_or_anti_sm": 6,
}


# ---------------------------------------------------------------------------------------------------
# Inputs: one model per criteria set, one field per item.


Item = StrictBool | None
"""A criteria item: True present, False absent, None unknown (strictly: 1 or "yes" is not True)."""


class _Items(BaseModel):
    """Criteria items: True present, False absent, None (the default) unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def values(self) -> dict[str, Tristate]:
        """Every item by name, in the model's field order."""
        return dict(self.__dict__)


class Acr1997Items(_Items):
    """ACR 1997 items (Tan et al. 1982, revised by Hochberg 1997). Composite criteria are split into the
    items their definition names (serositis = pleuritis or pericarditis, …)."""

    malar_rash: Item = Field(None, description="fixed malar erythema, sparing the nasolabial folds")
    discoid_rash: Item = Field(
        None, description="erythematous raised patches with scaling and follicular plugging"
    )
    photosensitivity: Item = Field(None, description="rash as an unusual reaction to sunlight")
    oral_ulcers: Item = Field(None, description="oral or nasopharyngeal ulceration, usually painless")
    arthritis: Item = Field(None, description="non-erosive arthritis of >= 2 peripheral joints")
    pleuritis: Item = Field(None, description="pleuritic pain, rub or pleural effusion")
    pericarditis: Item = Field(None, description="pericarditis by ECG, rub or pericardial effusion")
    proteinuria: Item = Field(
        None, description="persistent proteinuria > 0.5 g/day, or > 3+ if not quantified"
    )
    cellular_casts: Item = Field(None, description="red cell, haemoglobin, granular, tubular or mixed casts")
    seizures: Item = Field(None, description="seizures without offending drugs or metabolic cause")
    psychosis: Item = Field(None, description="psychosis without offending drugs or metabolic cause")
    haemolytic_anaemia: Item = Field(None, description="haemolytic anaemia with reticulocytosis")
    leukopenia: Item = Field(None, description="white cells < 4,000/mm³ on >= 2 occasions")
    lymphopenia: Item = Field(None, description="lymphocytes < 1,500/mm³ on >= 2 occasions")
    thrombocytopenia: Item = Field(None, description="platelets < 100,000/mm³ without offending drugs")
    anti_dna: Item = Field(None, description="antibody to native DNA in abnormal titre")
    anti_sm: Item = Field(None, description="antibody to Sm nuclear antigen")
    antiphospholipid: Item = Field(
        None,
        description="IgG or IgM anticardiolipin, lupus anticoagulant,"
        " or false-positive syphilis serology for >= 6 months",
    )
    antinuclear_antibody: Item = Field(None, description="abnormal ANA titre, not drug-induced")


class Slicc2012Items(_Items):
    """SLICC 2012 items (Petri et al. 2012): 11 clinical and 6 immunological criteria, split into the items
    their definitions name, and biopsy-proven lupus nephritis for the stand-alone route."""

    acute_cutaneous_lupus: Item = Field(
        None, description="acute or subacute cutaneous lupus, incl. malar rash"
    )
    chronic_cutaneous_lupus: Item = Field(None, description="chronic cutaneous lupus, incl. discoid rash")
    oral_or_nasal_ulcers: Item = Field(None, description="oral (palate, buccal, tongue) or nasal ulcers")
    nonscarring_alopecia: Item = Field(None, description="diffuse thinning or visible broken hairs")
    synovitis: Item = Field(
        None,
        description="synovitis of >= 2 joints, or tenderness of >= 2 joints with >= 30 min morning stiffness",
    )
    serositis: Item = Field(None, description="typical pleurisy or pericardial pain > 1 day, effusion or rub")
    renal_proteinuria: Item = Field(None, description="urine protein >= 500 mg/24 h, or the equivalent UPCR")
    red_cell_casts: Item = Field(None, description="red blood cell casts")
    seizures: Item = Field(None, description="seizures")
    psychosis: Item = Field(None, description="psychosis")
    mononeuritis_multiplex: Item = Field(None, description="mononeuritis multiplex")
    myelitis: Item = Field(None, description="myelitis")
    neuropathy: Item = Field(None, description="peripheral or cranial neuropathy")
    acute_confusional_state: Item = Field(None, description="acute confusional state")
    haemolytic_anaemia: Item = Field(None, description="haemolytic anaemia")
    leukopenia: Item = Field(None, description="white cells < 4,000/mm³ at least once")
    lymphopenia: Item = Field(None, description="lymphocytes < 1,000/mm³ at least once")
    thrombocytopenia: Item = Field(None, description="platelets < 100,000/mm³ at least once")
    antinuclear_antibody: Item = Field(None, description="ANA above the laboratory reference range")
    anti_dsdna: Item = Field(None, description="anti-dsDNA above the reference range (> 2x if ELISA)")
    anti_sm: Item = Field(None, description="anti-Sm")
    antiphospholipid: Item = Field(
        None,
        description="lupus anticoagulant, false-positive RPR,"
        " medium/high anticardiolipin (IgA/IgG/IgM) or anti-β2GPI",
    )
    low_complement: Item = Field(None, description="low C3, low C4 or low CH50")
    direct_coombs: Item = Field(
        None, description="positive direct Coombs test (counts without haemolytic anaemia)"
    )
    biopsy_proven_lupus_nephritis: Item = Field(
        None, description="biopsy-proven nephritis compatible with SLE"
    )


class EularAcr2019Items(_Items):
    """EULAR/ACR 2019 items (Aringer et al. 2019): the entry criterion and the weighted criteria."""

    antinuclear_antibody: Item = Field(
        None, description="entry criterion: ANA >= 1:80 on HEp-2 cells or an equivalent positive test, ever"
    )
    fever: Item = Field(None, description="temperature > 38.3 °C")
    leukopenia: Item = Field(None, description="white cells < 4,000/mm³")
    thrombocytopenia: Item = Field(None, description="platelets < 100,000/mm³")
    autoimmune_haemolysis: Item = Field(None, description="autoimmune haemolysis")
    delirium: Item = Field(None, description="delirium")
    psychosis: Item = Field(None, description="psychosis")
    seizure: Item = Field(None, description="seizure")
    nonscarring_alopecia: Item = Field(None, description="non-scarring alopecia")
    oral_ulcers: Item = Field(None, description="oral ulcers")
    subacute_cutaneous_or_discoid_lupus: Item = Field(None, description="subacute cutaneous or discoid lupus")
    acute_cutaneous_lupus: Item = Field(None, description="acute cutaneous lupus")
    pleural_or_pericardial_effusion: Item = Field(None, description="pleural or pericardial effusion")
    acute_pericarditis: Item = Field(None, description="acute pericarditis")
    joint_involvement: Item = Field(
        None,
        description="synovitis of >= 2 joints, or tenderness of >= 2 joints with >= 30 min morning stiffness",
    )
    proteinuria: Item = Field(None, description="proteinuria > 0.5 g/24 h, or the equivalent UPCR")
    lupus_nephritis_class_ii_or_v: Item = Field(
        None, description="renal biopsy: class II or V lupus nephritis"
    )
    lupus_nephritis_class_iii_or_iv: Item = Field(
        None, description="renal biopsy: class III or IV lupus nephritis"
    )
    anticardiolipin: Item = Field(None, description="anticardiolipin > 40 GPL/MPL (or > 99th percentile)")
    anti_beta2_glycoprotein_i: Item = Field(None, description="anti-β2GPI antibodies")
    lupus_anticoagulant: Item = Field(None, description="lupus anticoagulant")
    low_c3: Item = Field(None, description="C3 below the lower limit of normal")
    low_c4: Item = Field(None, description="C4 below the lower limit of normal")
    anti_dsdna: Item = Field(None, description="anti-dsDNA in an assay with >= 90 % specificity for SLE")
    anti_sm: Item = Field(None, description="anti-Smith antibodies")


# ---------------------------------------------------------------------------------------------------
# Results.


# Plain frozen dataclasses, not pydantic models: a result is built for every record screened, and
# building pydantic models cost more than the whole classification.


@dataclass(frozen=True, slots=True)
class CountedCriterion:
    """A criterion met and counted in the score: the highest weight of its domain, with the present items
    that meet it."""

    id: str
    domain: str
    kind: CriterionKind
    weight: int
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RouteResult:
    """One way to classify (SLICC 2012 has two) and whether it does."""

    rule: str
    result: Classification


@dataclass(frozen=True, slots=True)
class ClassificationResult:
    """`score` counts the criteria known to be met (for ACR 1997 and SLICC 2012, their number);
    `worst_case_score` and `best_case_score` are the lowest and highest score over every filling-in of the
    unknown items; `threshold` is what the set requires; `missing` names the unknown items that could
    still change the score or the result."""

    criteria_set: CriteriaSet
    result: Classification
    score: int
    worst_case_score: int
    best_case_score: int
    threshold: int
    counted: tuple[CountedCriterion, ...]
    routes: tuple[RouteResult, ...]
    missing: tuple[str, ...]


# ---------------------------------------------------------------------------------------------------
# Criteria definitions and the exact evaluation over unknowns.


@dataclass(frozen=True, slots=True)
class Criterion:
    """Met when any `any_of` item (if given) and every `all_of` item is present and every `absent_items`
    item is absent. Within a `domain` only the highest weight met counts."""

    id: str
    domain: str
    kind: CriterionKind
    weight: int
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    absent_items: tuple[str, ...] = ()

    def assess(self, values: Mapping[str, Tristate]) -> Tristate:
        """Three-valued: False as soon as one part fails, unknown if a part is unknown, else True.

        Written out rather than through `tristate.any_of`/`all_of`: it runs for every criterion of
        every record screened, and generators cost more than the logic.
        """
        met: Tristate = True
        if self.any_of:
            met = False
            for name in self.any_of:
                value = values[name]
                if value is True:
                    met = True
                    break
                if value is None:
                    met = None
            if met is False:
                return False
        for name in self.all_of:
            value = values[name]
            if value is False:
                return False
            if value is None:
                met = None
        for name in self.absent_items:
            value = values[name]
            if value is True:
                return False
            if value is None:
                met = None
        return met

    def items_met(self, values: Mapping[str, Tristate]) -> tuple[str, ...]:
        """The present items that meet this criterion (for display: which evidence counted)."""
        return tuple(name for name in (*self.all_of, *self.any_of) if values[name] is True)


@dataclass(frozen=True, slots=True)
class Tally:
    """The score of one complete set of items."""

    score: int
    clinical: int
    immunological: int


Decide = Callable[[Mapping[str, bool], Tally], bool]


@dataclass(frozen=True, slots=True)
class Route:
    """One way a criteria set classifies: `decide` judges one complete set of items from its tally and
    the items it reads directly. Every rule is monotone in the items (more present never un-classifies)
    once the items some criterion needs absent are fixed; `_cases` relies on that."""

    rule: str
    decide: Decide
    reads: tuple[str, ...] = ()
    """Items the rule reads directly, beside the tally."""


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    """A criteria set as data: its criteria, the rules that classify (any one suffices), its threshold."""

    name: CriteriaSet
    criteria: tuple[Criterion, ...]
    routes: tuple[Route, ...]
    threshold: int
    negatable: tuple[str, ...] = field(init=False)
    """Items some criterion needs absent (the only non-monotone reads)."""
    reads: tuple[str, ...] = field(init=False)
    """Items the rules read directly."""

    def __post_init__(self) -> None:
        negatable = dict.fromkeys(name for c in self.criteria for name in c.absent_items)
        object.__setattr__(self, "negatable", tuple(negatable))
        object.__setattr__(self, "reads", tuple(dict.fromkeys(n for r in self.routes for n in r.reads)))


def _counted_criterion(
    id: str, kind: CriterionKind, *, any_of: tuple[str, ...] = (), absent_items: tuple[str, ...] = ()
) -> Criterion:
    """An ACR 1997 or SLICC 2012 criterion: its own domain, counted once."""
    return Criterion(id, id, kind, CRITERION_COUNT_WEIGHT, any_of=any_of, absent_items=absent_items)


_CLINICAL, _IMMUNOLOGICAL = CriterionKind.CLINICAL, CriterionKind.IMMUNOLOGICAL

ACR1997 = CriteriaSpec(
    name=CriteriaSet.ACR_1997,
    criteria=(
        _counted_criterion("malar_rash", _CLINICAL, any_of=("malar_rash",)),
        _counted_criterion("discoid_rash", _CLINICAL, any_of=("discoid_rash",)),
        _counted_criterion("photosensitivity", _CLINICAL, any_of=("photosensitivity",)),
        _counted_criterion("oral_ulcers", _CLINICAL, any_of=("oral_ulcers",)),
        _counted_criterion("arthritis", _CLINICAL, any_of=("arthritis",)),
        _counted_criterion("serositis", _CLINICAL, any_of=("pleuritis", "pericarditis")),
        _counted_criterion("renal_disorder", _CLINICAL, any_of=("proteinuria", "cellular_casts")),
        _counted_criterion("neurologic_disorder", _CLINICAL, any_of=("seizures", "psychosis")),
        _counted_criterion(
            "haematologic_disorder",
            _CLINICAL,
            any_of=("haemolytic_anaemia", "leukopenia", "lymphopenia", "thrombocytopenia"),
        ),
        _counted_criterion(
            "immunologic_disorder", _IMMUNOLOGICAL, any_of=("anti_dna", "anti_sm", "antiphospholipid")
        ),
        _counted_criterion("antinuclear_antibody", _IMMUNOLOGICAL, any_of=("antinuclear_antibody",)),
    ),
    routes=(
        Route(
            f">= {ACR1997_CRITERIA_REQUIRED} of 11 criteria",
            lambda _values, tally: tally.score >= ACR1997_CRITERIA_REQUIRED,
        ),
    ),
    threshold=ACR1997_CRITERIA_REQUIRED,
)

SLICC2012 = CriteriaSpec(
    name=CriteriaSet.SLICC_2012,
    criteria=(
        _counted_criterion("acute_cutaneous_lupus", _CLINICAL, any_of=("acute_cutaneous_lupus",)),
        _counted_criterion("chronic_cutaneous_lupus", _CLINICAL, any_of=("chronic_cutaneous_lupus",)),
        _counted_criterion("oral_or_nasal_ulcers", _CLINICAL, any_of=("oral_or_nasal_ulcers",)),
        _counted_criterion("nonscarring_alopecia", _CLINICAL, any_of=("nonscarring_alopecia",)),
        _counted_criterion("synovitis", _CLINICAL, any_of=("synovitis",)),
        _counted_criterion("serositis", _CLINICAL, any_of=("serositis",)),
        _counted_criterion("renal", _CLINICAL, any_of=("renal_proteinuria", "red_cell_casts")),
        _counted_criterion(
            "neurologic",
            _CLINICAL,
            any_of=(
                "seizures",
                "psychosis",
                "mononeuritis_multiplex",
                "myelitis",
                "neuropathy",
                "acute_confusional_state",
            ),
        ),
        _counted_criterion("haemolytic_anaemia", _CLINICAL, any_of=("haemolytic_anaemia",)),
        _counted_criterion("leukopenia_or_lymphopenia", _CLINICAL, any_of=("leukopenia", "lymphopenia")),
        _counted_criterion("thrombocytopenia", _CLINICAL, any_of=("thrombocytopenia",)),
        _counted_criterion("antinuclear_antibody", _IMMUNOLOGICAL, any_of=("antinuclear_antibody",)),
        _counted_criterion("anti_dsdna", _IMMUNOLOGICAL, any_of=("anti_dsdna",)),
        _counted_criterion("anti_sm", _IMMUNOLOGICAL, any_of=("anti_sm",)),
        _counted_criterion("antiphospholipid", _IMMUNOLOGICAL, any_of=("antiphospholipid",)),
        _counted_criterion("low_complement", _IMMUNOLOGICAL, any_of=("low_complement",)),
        # Petri et al. 2012: "direct Coombs' test in the absence of haemolytic anaemia".
        _counted_criterion(
            "direct_coombs", _IMMUNOLOGICAL, any_of=("direct_coombs",), absent_items=("haemolytic_anaemia",)
        ),
    ),
    routes=(
        Route(
            "biopsy-proven lupus nephritis with ANA or anti-dsDNA",
            lambda values, _tally: (
                values["biopsy_proven_lupus_nephritis"]
                and (values["antinuclear_antibody"] or values["anti_dsdna"])
            ),
            reads=("biopsy_proven_lupus_nephritis", "antinuclear_antibody", "anti_dsdna"),
        ),
        Route(
            f">= {SLICC2012_CRITERIA_REQUIRED} criteria with >= {SLICC2012_CLINICAL_REQUIRED} clinical"
            f" and >= {SLICC2012_IMMUNOLOGICAL_REQUIRED} immunological",
            lambda _values, tally: (
                tally.score >= SLICC2012_CRITERIA_REQUIRED
                and tally.clinical >= SLICC2012_CLINICAL_REQUIRED
                and tally.immunological >= SLICC2012_IMMUNOLOGICAL_REQUIRED
            ),
        ),
    ),
    threshold=SLICC2012_CRITERIA_REQUIRED,
)


def _weighted(
    id: str, domain: str, kind: CriterionKind, *, any_of: tuple[str, ...] = (), all_of: tuple[str, ...] = ()
) -> Criterion:
    return Criterion(id, domain, kind, EULAR_ACR2019_WEIGHTS[id], any_of=any_of, all_of=all_of)


EULAR_ACR2019 = CriteriaSpec(
    name=CriteriaSet.EULAR_ACR_2019,
    criteria=(
        _weighted("fever", "constitutional", _CLINICAL, any_of=("fever",)),
        _weighted("leukopenia", "haematologic", _CLINICAL, any_of=("leukopenia",)),
        _weighted("thrombocytopenia", "haematologic", _CLINICAL, any_of=("thrombocytopenia",)),
        _weighted("autoimmune_haemolysis", "haematologic", _CLINICAL, any_of=("autoimmune_haemolysis",)),
        _weighted("delirium", "neuropsychiatric", _CLINICAL, any_of=("delirium",)),
        _weighted("psychosis", "neuropsychiatric", _CLINICAL, any_of=("psychosis",)),
        _weighted("seizure", "neuropsychiatric", _CLINICAL, any_of=("seizure",)),
        _weighted("nonscarring_alopecia", "mucocutaneous", _CLINICAL, any_of=("nonscarring_alopecia",)),
        _weighted("oral_ulcers", "mucocutaneous", _CLINICAL, any_of=("oral_ulcers",)),
        _weighted(
            "subacute_cutaneous_or_discoid_lupus",
            "mucocutaneous",
            _CLINICAL,
            any_of=("subacute_cutaneous_or_discoid_lupus",),
        ),
        _weighted("acute_cutaneous_lupus", "mucocutaneous", _CLINICAL, any_of=("acute_cutaneous_lupus",)),
        _weighted(
            "pleural_or_pericardial_effusion",
            "serosal",
            _CLINICAL,
            any_of=("pleural_or_pericardial_effusion",),
        ),
        _weighted("acute_pericarditis", "serosal", _CLINICAL, any_of=("acute_pericarditis",)),
        _weighted("joint_involvement", "musculoskeletal", _CLINICAL, any_of=("joint_involvement",)),
        _weighted("proteinuria", "renal", _CLINICAL, any_of=("proteinuria",)),
        _weighted(
            "lupus_nephritis_class_ii_or_v", "renal", _CLINICAL, any_of=("lupus_nephritis_class_ii_or_v",)
        ),
        _weighted(
            "lupus_nephritis_class_iii_or_iv", "renal", _CLINICAL, any_of=("lupus_nephritis_class_iii_or_iv",)
        ),
        _weighted(
            "antiphospholipid_antibodies",
            "antiphospholipid_antibodies",
            _IMMUNOLOGICAL,
            any_of=("anticardiolipin", "anti_beta2_glycoprotein_i", "lupus_anticoagulant"),
        ),
        _weighted("low_c3_or_low_c4", "complement_proteins", _IMMUNOLOGICAL, any_of=("low_c3", "low_c4")),
        _weighted("low_c3_and_low_c4", "complement_proteins", _IMMUNOLOGICAL, all_of=("low_c3", "low_c4")),
        _weighted(
            "anti_dsdna_or_anti_sm",
            "sle_specific_antibodies",
            _IMMUNOLOGICAL,
            any_of=("anti_dsdna", "anti_sm"),
        ),
    ),
    routes=(
        Route(
            f"entry criterion (ANA) with >= {EULAR_ACR2019_CLINICAL_REQUIRED} clinical criterion"
            f" and a total of >= {EULAR_ACR2019_SCORE_REQUIRED}",
            lambda values, tally: (
                values["antinuclear_antibody"]
                and tally.clinical >= EULAR_ACR2019_CLINICAL_REQUIRED
                and tally.score >= EULAR_ACR2019_SCORE_REQUIRED
            ),
            reads=("antinuclear_antibody",),
        ),
    ),
    threshold=EULAR_ACR2019_SCORE_REQUIRED,
)


def _highest_per_domain(criteria: tuple[Criterion, ...], met: list[bool]) -> list[Criterion]:
    """The met criterion of highest weight in each domain (the first listed on a tie)."""
    best: dict[str, Criterion] = {}
    for criterion, is_met in zip(criteria, met, strict=True):
        if is_met and (criterion.domain not in best or criterion.weight > best[criterion.domain].weight):
            best[criterion.domain] = criterion
    return list(best.values())


def _tally(criteria: tuple[Criterion, ...], met: list[bool]) -> Tally:
    highest: dict[str, int] = {}
    clinical = immunological = 0
    for criterion, is_met in zip(criteria, met, strict=True):
        if is_met:
            if criterion.kind is CriterionKind.CLINICAL:
                clinical += 1
            else:
                immunological += 1
            if criterion.weight > highest.get(criterion.domain, 0):
                highest[criterion.domain] = criterion.weight
    return Tally(score=sum(highest.values()), clinical=clinical, immunological=immunological)


@dataclass(frozen=True, slots=True)
class _Case:
    """The best or the worst completion of one filling of the negated unknowns: its tally and the
    values of the items the rules read directly."""

    reads: Mapping[str, bool]
    tally: Tally


def _case_pair(
    spec: CriteriaSpec, values: Mapping[str, Tristate], status: list[Tristate]
) -> tuple[_Case, _Case]:
    """(best, worst): a monotone criterion that is unknown is met in the best case, not in the worst."""
    if None not in status and all(values[name] is not None for name in spec.reads):
        case = _Case(
            {n: values[n] is True for n in spec.reads}, _tally(spec.criteria, [s is True for s in status])
        )
        return case, case
    return (
        _Case(
            {n: values[n] is not False for n in spec.reads},
            _tally(spec.criteria, [s is not False for s in status]),
        ),
        _Case({n: values[n] is True for n in spec.reads}, _tally(spec.criteria, [s is True for s in status])),
    )


def _cases(
    spec: CriteriaSpec, values: Mapping[str, Tristate], status: list[Tristate]
) -> list[tuple[_Case, _Case]]:
    """(best, worst) completions of the unknown items, one pair per filling of the unknown items that
    some criterion needs absent. With those fixed, every criterion and every rule is monotone in the
    remaining items, so all-present is the best case and all-absent the worst: this is exact."""
    negated = [name for name in spec.negatable if values[name] is None]
    if not negated:
        return [_case_pair(spec, values, status)]
    pairs = []
    for filling in itertools.product((False, True), repeat=len(negated)):
        fixed = {**values, **dict(zip(negated, filling, strict=True))}
        pairs.append(_case_pair(spec, fixed, [c.assess(fixed) for c in spec.criteria]))
    return pairs


def _decision(can_classify: bool, can_fail: bool) -> Classification:
    if not can_fail:
        return Classification.CLASSIFIED
    if not can_classify:
        return Classification.NOT_CLASSIFIED
    return Classification.UNKNOWN


def _missing(
    spec: CriteriaSpec, values: Mapping[str, Tristate], status: list[Tristate], result: Classification
) -> tuple[str, ...]:
    """Unknown items of an undecided criterion that could beat its domain's known score, and, while the
    result is unknown, unknown items a rule reads directly."""
    floor: dict[str, int] = {}
    for criterion, known in zip(spec.criteria, status, strict=True):
        if known is True:
            floor[criterion.domain] = max(floor.get(criterion.domain, 0), criterion.weight)
    relevant: set[str] = set()
    for criterion, known in zip(spec.criteria, status, strict=True):
        if known is None and criterion.weight > floor.get(criterion.domain, 0):
            relevant.update((*criterion.any_of, *criterion.all_of, *criterion.absent_items))
    if result is Classification.UNKNOWN:
        relevant.update(spec.reads)
    return tuple(name for name, value in values.items() if value is None and name in relevant)


def _counted(criteria: list[Criterion], values: Mapping[str, Tristate]) -> tuple[CountedCriterion, ...]:
    return tuple([CountedCriterion(c.id, c.domain, c.kind, c.weight, c.items_met(values)) for c in criteria])


def _classify_complete(spec: CriteriaSpec, values: Mapping[str, bool]) -> ClassificationResult:
    """`_classify` when no item is unknown (the usual case): one tally, every rule decided outright.

    The same result as the general path, whose single case is then both best and worst.
    """
    met = [c.assess(values) is True for c in spec.criteria]
    tally = _tally(spec.criteria, met)
    decided = [bool(route.decide(values, tally)) for route in spec.routes]
    return ClassificationResult(
        criteria_set=spec.name,
        result=Classification.CLASSIFIED if any(decided) else Classification.NOT_CLASSIFIED,
        score=tally.score,
        worst_case_score=tally.score,
        best_case_score=tally.score,
        threshold=spec.threshold,
        counted=_counted(_highest_per_domain(spec.criteria, met), values),
        routes=tuple(
            [
                RouteResult(route.rule, Classification.CLASSIFIED if ok else Classification.NOT_CLASSIFIED)
                for route, ok in zip(spec.routes, decided, strict=True)
            ]
        ),
        missing=(),
    )


_SPECS: dict[CriteriaSet, tuple[CriteriaSpec, tuple[str, ...]]] = {
    ACR1997.name: (ACR1997, tuple(Acr1997Items.model_fields)),
    SLICC2012.name: (SLICC2012, tuple(Slicc2012Items.model_fields)),
    EULAR_ACR2019.name: (EULAR_ACR2019, tuple(EularAcr2019Items.model_fields)),
}
_ITEM_GETTERS: dict[CriteriaSet, Callable[[dict[str, Tristate]], tuple[Tristate, ...]]] = {
    name: itemgetter(*names) for name, (_, names) in _SPECS.items()
}


# Memoised (the result is a frozen value of the items alone): screening classifies every record, and
# recorded item patterns repeat. Keyed by the set's name and the items in field order, cheap to hash.
@lru_cache(maxsize=8192)
def _classify_pattern(name: CriteriaSet, pattern: tuple[Tristate, ...]) -> ClassificationResult:
    spec, names = _SPECS[name]
    values = dict(zip(names, pattern, strict=True))
    if None not in pattern:
        return _classify_complete(spec, cast("dict[str, bool]", values))
    return _classify_general(spec, values)


def _classify(spec: CriteriaSpec, items: _Items) -> ClassificationResult:
    return _classify_pattern(spec.name, _ITEM_GETTERS[spec.name](items.__dict__))


def _classify_general(spec: CriteriaSpec, values: dict[str, Tristate]) -> ClassificationResult:
    status = [c.assess(values) for c in spec.criteria]
    cases = _cases(spec, values, status)
    # Per case, which rules classify its best and its worst completion.
    best_ok = [[r.decide(best.reads, best.tally) for r in spec.routes] for best, _ in cases]
    worst_ok = [[r.decide(worst.reads, worst.tally) for r in spec.routes] for _, worst in cases]
    result = _decision(can_classify=any(map(any, best_ok)), can_fail=not all(map(any, worst_ok)))
    counted = _highest_per_domain(spec.criteria, [s is True for s in status])
    return ClassificationResult(
        criteria_set=spec.name,
        result=result,
        score=sum(c.weight for c in counted),
        worst_case_score=min(worst.tally.score for _, worst in cases),
        best_case_score=max(best.tally.score for best, _ in cases),
        threshold=spec.threshold,
        counted=_counted(counted, values),
        routes=tuple(
            RouteResult(
                rule=route.rule,
                result=_decision(
                    can_classify=any(ok[index] for ok in best_ok),
                    can_fail=not all(ok[index] for ok in worst_ok),
                ),
            )
            for index, route in enumerate(spec.routes)
        ),
        missing=_missing(spec, values, status, result),
    )


def classify_acr1997(items: Acr1997Items) -> ClassificationResult:
    """ACR 1997 revised criteria (Tan et al. 1982, Hochberg 1997): SLE if >= 4 of 11 criteria."""
    return _classify(ACR1997, items)


def classify_slicc2012(items: Slicc2012Items) -> ClassificationResult:
    """SLICC 2012 (Petri et al. 2012): biopsy-proven lupus nephritis with ANA or anti-dsDNA, or >= 4
    criteria with >= 1 clinical and >= 1 immunological."""
    return _classify(SLICC2012, items)


def classify_eular_acr2019(items: EularAcr2019Items) -> ClassificationResult:
    """EULAR/ACR 2019 (Aringer et al. 2019): with the entry criterion (ANA >= 1:80), classify if >= 1
    clinical criterion and a total >= 10, counting only the highest weight in each domain."""
    return _classify(EULAR_ACR2019, items)
