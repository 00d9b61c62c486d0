"""SRI-k, LLDAS and DORIS remission at each visit, each component with its verdict and reason.

Missing data is *unknown*, never false: a SLEDAI with descriptors not assessed is a range, a BILAG
domain not graded may be any grade, a PGA or steroid dose not recorded leaves its component unknown;
a criterion is met only when every component is met, not met as soon as one is not met.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Literal

from cartrial.clinical.glucocorticoids import SYSTEMIC_ROUTES, mean_daily_dose_mg, prednisone_equivalent_mg
from cartrial.clinical.sledai import (
    SEROLOGICAL_DESCRIPTORS,
    Descriptor,
    SledaiAssessment,
    SledaiScore,
    SledaiVersion,
    calculate_sledai,
)
from cartrial.clinical.tristate import Tristate, all_of, any_of, at_least
from cartrial.response.bilag import (
    SRI_MAX_NEW_BILAG_B,
    BilagComparison,
    DomainChange,
    calculate_bilag_numeric,
    compare_bilag,
)
from cartrial.response.model import GlucocorticoidDose, LupusDrug, LupusDrugClass, ResponseVisits, Visit
from cartrial.response.result import (
    Component,
    CriterionResult,
    ScoreChange,
    ScoreRange,
    SubjectResponse,
    VisitResponse,
)
from cartrial.response.settings import CarTReading, ResponseSettings

# SRI part (c): PGA worsens by < 0.3 points on the 0-3 scale (Furie et al. Arthritis Rheum 2009).
SRI_PGA_WORSENING_BELOW = Decimal("0.3")

# LLDAS (Franklyn et al. Ann Rheum Dis 2016).
LLDAS_SLEDAI_2K_AT_MOST = 4
LLDAS_PGA_AT_MOST = Decimal("1")
LLDAS_PREDNISOLONE_AT_MOST_MG = Decimal("7.5")

# DORIS remission (van Vollenhoven et al. Lupus Sci Med 2021;8:e000538).
DORIS_CLINICAL_SLEDAI = 0
DORIS_PGA_BELOW = Decimal("0.5")
DORIS_PREDNISOLONE_AT_MOST_MG = Decimal("5")

# LLDAS "major organ systems" (Franklyn 2016) and the SLEDAI descriptors that are activity in each: a
# descriptor scored present is activity there whatever the separate fact says.
LLDAS_MAJOR_ORGANS: dict[str, frozenset[Descriptor]] = {
    "renal": frozenset(
        {Descriptor.URINARY_CASTS, Descriptor.HAEMATURIA, Descriptor.PROTEINURIA, Descriptor.PYURIA}
    ),
    "cns": frozenset(
        {
            Descriptor.SEIZURE,
            Descriptor.PSYCHOSIS,
            Descriptor.ORGANIC_BRAIN_SYNDROME,
            Descriptor.VISUAL_DISTURBANCE,
            Descriptor.CRANIAL_NERVE_DISORDER,
            Descriptor.LUPUS_HEADACHE,
            Descriptor.CEREBROVASCULAR_ACCIDENT,
        }
    ),
    "cardiopulmonary": frozenset({Descriptor.PLEURISY, Descriptor.PERICARDITIS}),
    "vasculitis": frozenset({Descriptor.VASCULITIS}),
    "fever": frozenset({Descriptor.FEVER}),
}
LLDAS_OTHER_ACTIVITY: tuple[str, ...] = ("haemolytic_anaemia", "gastrointestinal")


def _names(items: Iterable[object]) -> str:
    return ", ".join(str(item) for item in items) or "none"


def _criterion(name: str, components: tuple[Component, ...]) -> CriterionResult:
    met = all_of(c.met for c in components)
    if met is True:
        reason = "every component met"
    else:
        which = tuple(c for c in components if c.met is met)
        reason = "; ".join(f"{c.name}: {c.reason}" for c in which)
    return CriterionResult(criterion=name, met=met, reason=reason, components=components)


def _at_most(score: ScoreRange, limit: int) -> Tristate:
    if score.high <= limit:
        return True
    if score.low > limit:
        return False
    return None


def _not_assessed(unknown: Iterable[Descriptor]) -> str:
    listed = _names(unknown)
    return "" if listed == "none" else f" (not assessed: {listed})"


def _total(score: SledaiScore) -> ScoreRange:
    return ScoreRange(score.low, score.high)


def _clinical(score: SledaiScore) -> ScoreRange:
    return ScoreRange(score.clinical_low, score.clinical_high)


def _missing_score(version: SledaiVersion, at: str) -> str:
    return f"{version} not assessed at {at}"


def calculate_prednisolone_mg(doses: tuple[GlucocorticoidDose, ...], table: Literal["BNF", "US"]) -> Decimal:
    """Prednisolone-equivalent mg/day of the systemic glucocorticoids taken (topical etc. do not count).

    Prednisone and prednisolone are equipotent (5 mg = 5 mg, British National Formulary), so the
    prednisone-equivalent dose of `cartrial.clinical.glucocorticoids` is the prednisolone-equivalent dose.
    """
    return sum(
        (
            prednisone_equivalent_mg(
                d.drug,
                mean_daily_dose_mg(d.dose_mg, d.times_per_day, d.every_n_days),
                table,
            )
            for d in doses
            if d.route in SYSTEMIC_ROUTES
        ),
        Decimal(0),
    )


def _prednisolone_component(visit: Visit, limit: Decimal, settings: ResponseSettings) -> Component:
    name = f"prednisolone_at_most_{limit}mg"
    rule = f"prednisolone-equivalent <= {limit} mg/day ({settings.glucocorticoid_table} table)"
    if visit.glucocorticoids is None:
        return Component(name, None, None, rule, "glucocorticoids not recorded at this visit")
    dose = calculate_prednisolone_mg(visit.glucocorticoids, settings.glucocorticoid_table)
    met = dose <= limit
    return Component(name, met, dose, rule, f"{dose} mg/day {'<=' if met else '>'} {limit}")


def _pga_component(name: str, rule: str, pga: Decimal | None, passes: Callable[[Decimal], bool]) -> Component:
    if pga is None:
        return Component(name, None, None, rule, "PGA not recorded at this visit")
    met = passes(pga)
    return Component(name, met, pga, rule, f"PGA {pga} {'meets' if met else 'fails'} {rule}")


def _car_t_investigational(visit: Visit, infusion_day: int | None, settings: ResponseSettings) -> Tristate:
    """Whether the CAR-T product counts as an investigational drug at this visit (a setting)."""
    if settings.car_t is CarTReading.NOT_INVESTIGATIONAL:
        return False
    if infusion_day is None:
        return None
    return visit.day >= infusion_day


def _drug_component(
    name: str,
    rule: str,
    visit: Visit,
    infusion_day: int | None,
    settings: ResponseSettings,
    restricted: frozenset[LupusDrugClass],
    condition: Callable[[LupusDrug], bool | None],
    condition_text: str,
) -> Component:
    """No investigational drug (CAR-T by the setting) and every `restricted` drug meets `condition`."""
    failing: list[str] = []
    unknown: list[str] = []
    car_t = _car_t_investigational(visit, infusion_day, settings)
    if car_t is True:
        failing.append(f"CAR-T infused on day {infusion_day} counts as investigational (setting car_t)")
    elif car_t is None:
        unknown.append("CAR-T infusion day unknown (setting car_t counts it as investigational)")
    if visit.lupus_drugs is None:
        unknown.append("lupus drugs not recorded at this visit")
    taken = visit.lupus_drugs or ()
    for drug in taken:
        drug_class = drug.resolved_class
        if drug_class is LupusDrugClass.INVESTIGATIONAL:
            failing.append(f"{drug.drug} is investigational")
        elif drug_class in restricted:
            fact = condition(drug)
            if fact is False:
                failing.append(f"{drug.drug}: not {condition_text}")
            elif fact is None:
                unknown.append(f"{drug.drug}: {condition_text} not recorded")
    value = tuple(d.drug for d in taken)
    if failing:
        return Component(name, False, value, rule, "; ".join(failing))
    if unknown:
        return Component(name, None, value, rule, "; ".join(unknown))
    return Component(name, True, value, rule, f"drugs taken: {_names(value)}")


def calculate_score_changes(baseline: Visit, visit: Visit) -> tuple[ScoreChange, ...]:
    """SELENA-SLEDAI, SLEDAI-2K and the BILAG-2004 numeric score at baseline and now, and the change."""
    changes: list[ScoreChange] = []
    for version in SledaiVersion:
        before = baseline.sledai_of(version)
        after = visit.sledai_of(version)
        before_score = None if before is None else calculate_sledai(before)
        after_score = None if after is None else calculate_sledai(after)
        missing = [
            _missing_score(version, at)
            for at, score in (("baseline", before_score), ("this visit", after_score))
            if score is None
        ]
        unknown = [
            f"not assessed at {at}: {_names(score.unknown)}"
            for at, score in (("baseline", before_score), ("this visit", after_score))
            if score is not None and score.unknown
        ]
        changes.append(
            ScoreChange(
                score=version.value,
                baseline=None if before_score is None else _total(before_score),
                visit=None if after_score is None else _total(after_score),
                reason="; ".join(missing + unknown) or "exact",
            )
        )
    bilag_before = calculate_bilag_numeric(baseline.bilag)
    bilag_after = calculate_bilag_numeric(visit.bilag)
    exact = bilag_before.is_exact and bilag_after.is_exact
    changes.append(
        ScoreChange(
            score="BILAG-2004 numeric",
            baseline=bilag_before,
            visit=bilag_after,
            reason="exact" if exact else "domains not graded count 0..12 each",
        )
    )
    return tuple(changes)


def _sri_sledai(
    baseline: SledaiAssessment | None, visit: SledaiAssessment | None, k: int, version: str
) -> Component:
    name = "a_sledai_reduction"
    rule = f"{version} falls >= {k} points from baseline"
    missing = [
        _missing_score(SledaiVersion(version), at)
        for at, a in (("baseline", baseline), ("this visit", visit))
        if a is None
    ]
    if baseline is None or visit is None:
        return Component(name, None, None, rule, "; ".join(missing))
    before, after = calculate_sledai(baseline), calculate_sledai(visit)
    reduction = _total(before) - _total(after)
    met = at_least(reduction.low, reduction.high, k)
    text = (
        f"baseline {_total(before)}{_not_assessed(before.unknown)}, "
        f"visit {_total(after)}{_not_assessed(after.unknown)}: fell {reduction}"
    )
    return Component(name, met, reduction, rule, text)


def _sri_bilag(comparison: BilagComparison, not_recorded: tuple[str, ...]) -> Component:
    rule = f"no new BILAG A domain and <= {SRI_MAX_NEW_BILAG_B} new BILAG B domain versus baseline"
    new_a = comparison.certain(DomainChange.NEW_A)
    new_b = comparison.certain(DomainChange.NEW_B)
    parts = [f"new A: {_names(new_a)}", f"new B: {_names(new_b)}"]
    if not_recorded:
        parts.append(f"BILAG-2004 not recorded at {' and '.join(not_recorded)}")
    else:
        maybe = sorted(set(comparison.maybe(DomainChange.NEW_A)) | set(comparison.maybe(DomainChange.NEW_B)))
        if maybe:
            parts.append(f"not graded, could be new: {_names(maybe)}")
    value = tuple(f"{d}: A" for d in new_a) + tuple(f"{d}: B" for d in new_b)
    return Component("b_bilag_no_worsening", comparison.sri_met, value, rule, "; ".join(parts))


def _sri_pga(baseline: Decimal | None, visit: Decimal | None) -> Component:
    rule = f"PGA increases by < {SRI_PGA_WORSENING_BELOW} from baseline"
    missing = [
        f"PGA not recorded at {at}" for at, p in (("baseline", baseline), ("this visit", visit)) if p is None
    ]
    if baseline is None or visit is None:
        return Component("c_pga_no_worsening", None, None, rule, "; ".join(missing))
    change = visit - baseline
    met = change < SRI_PGA_WORSENING_BELOW
    return Component(
        "c_pga_no_worsening",
        met,
        change,
        rule,
        f"PGA {baseline} -> {visit}: change {change} {'<' if met else '>='} {SRI_PGA_WORSENING_BELOW}",
    )


def assess_sri(
    baseline: Visit, visit: Visit, settings: ResponseSettings = ResponseSettings()
) -> CriterionResult:
    """SLE Responder Index (Furie et al. 2009): (a) SLEDAI falls, (b) no BILAG and (c) no PGA worsening."""
    version = settings.sri_sledai
    components = (
        _sri_sledai(
            baseline.sledai_of(version), visit.sledai_of(version), settings.sri_reduction, version.value
        ),
        _sri_bilag(
            compare_bilag(baseline.bilag, visit.bilag),
            tuple(at for at, v in (("baseline", baseline), ("this visit", visit)) if v.bilag is None),
        ),
        _sri_pga(baseline.pga, visit.pga),
    )
    return _criterion(settings.sri_name, components)


def _organ_activity(visit: Visit, organ: str, score: SledaiScore | None) -> Tristate:
    fact: Tristate = getattr(visit.activity, organ)
    scored = score is not None and any(d in LLDAS_MAJOR_ORGANS[organ] for d in score.present)
    return any_of((scored, fact))


def _activity_component(name: str, rule: str, activity: dict[str, Tristate]) -> Component:
    active = tuple(organ for organ, a in activity.items() if a is True)
    unknown = tuple(organ for organ, a in activity.items() if a is None)
    any_active = any_of(activity.values())
    met = None if any_active is None else not any_active
    if active:
        reason = f"present: {_names(active)}"
    elif unknown:
        reason = f"not recorded: {_names(unknown)}"
    else:
        reason = f"absent: {_names(activity)}"
    return Component(name, met, active, rule, reason)


def _new_activity_component(visit: Visit, previous: Visit | None, score: SledaiScore | None) -> Component:
    """No new activity since the previous assessment: the recorded fact, or a descriptor newly present.

    A SLEDAI descriptor present now and recorded absent at the previous visit (same version) is new
    activity whatever the fact says; anything else leaves the fact to decide.
    """
    name, rule = "no_new_activity", "no new lupus activity since the previous assessment"
    before = None if previous is None or score is None else previous.sledai_of(score.version)
    newly = (
        ()
        if before is None or score is None
        else tuple(d for d in score.present if before.descriptors.get(d) is False)
    )
    if newly:
        return Component(name, False, tuple(newly), rule, f"new since the previous visit: {_names(newly)}")
    fact = visit.activity.new_activity_since_previous
    if fact is None:
        return Component(name, None, (), rule, "new activity since the previous assessment not recorded")
    reason = "new activity recorded" if fact else "no new activity recorded"
    return Component(name, not fact, (), rule, reason)


def assess_lldas(
    visit: Visit,
    infusion_day: int | None = None,
    settings: ResponseSettings = ResponseSettings(),
    previous: Visit | None = None,
) -> CriterionResult:
    """Lupus Low Disease Activity State (Franklyn et al. Ann Rheum Dis 2016), every component named.

    `previous` is the visit before (None for the first): a descriptor new since then is new activity.
    """
    version = settings.lldas_sledai
    assessment = visit.sledai_of(version)
    score = None if assessment is None else calculate_sledai(assessment)
    rule = f"{version} <= {LLDAS_SLEDAI_2K_AT_MOST}"
    if score is None:
        sledai = Component("sledai_at_most_4", None, None, rule, _missing_score(version, "this visit"))
    else:
        total = _total(score)
        sledai = Component(
            "sledai_at_most_4",
            _at_most(total, LLDAS_SLEDAI_2K_AT_MOST),
            total,
            rule,
            f"{version} {total}{_not_assessed(score.unknown)}",
        )
    major = {organ: _organ_activity(visit, organ, score) for organ in LLDAS_MAJOR_ORGANS}
    other: dict[str, Tristate] = {organ: getattr(visit.activity, organ) for organ in LLDAS_OTHER_ACTIVITY}
    components = (
        sledai,
        _activity_component(
            "no_major_organ_activity", "no renal, CNS, cardiopulmonary, vasculitis or fever activity", major
        ),
        _activity_component(
            "no_haemolytic_anaemia_or_gi_activity", "no haemolytic anaemia or GI activity", other
        ),
        _new_activity_component(visit, previous, score),
        _pga_component(
            "pga_at_most_1", f"PGA <= {LLDAS_PGA_AT_MOST}", visit.pga, lambda p: p <= LLDAS_PGA_AT_MOST
        ),
        _prednisolone_component(visit, LLDAS_PREDNISOLONE_AT_MOST_MG, settings),
        _drug_component(
            "immunosuppression_allowed",
            "well-tolerated standard maintenance immunosuppressants and approved biologics; "
            "no investigational drug",
            visit,
            infusion_day,
            settings,
            frozenset({LupusDrugClass.IMMUNOSUPPRESSANT, LupusDrugClass.BIOLOGIC}),
            lambda d: d.maintenance_dose_tolerated,
            "a well-tolerated standard maintenance dose",
        ),
    )
    return _criterion("LLDAS", components)


def assess_doris(
    visit: Visit, infusion_day: int | None = None, settings: ResponseSettings = ResponseSettings()
) -> CriterionResult:
    """DORIS remission on treatment (van Vollenhoven et al. 2021); serological activity is allowed."""
    version = settings.doris_sledai
    assessment = visit.sledai_of(version)
    rule = f"clinical {version} (without serology) = {DORIS_CLINICAL_SLEDAI}"
    if assessment is None:
        clinical = Component("clinical_sledai_zero", None, None, rule, _missing_score(version, "this visit"))
    else:
        score = calculate_sledai(assessment)
        value = _clinical(score)
        unknown = tuple(d for d in score.unknown if d not in SEROLOGICAL_DESCRIPTORS)
        present = tuple(d for d in score.present if d not in SEROLOGICAL_DESCRIPTORS)
        clinical = Component(
            "clinical_sledai_zero",
            _at_most(value, DORIS_CLINICAL_SLEDAI),
            value,
            rule,
            f"clinical {version} {value}; present: {_names(present)}{_not_assessed(unknown)}",
        )
    components = (
        clinical,
        _pga_component("pga_below_0.5", f"PGA < {DORIS_PGA_BELOW}", visit.pga, lambda p: p < DORIS_PGA_BELOW),
        _prednisolone_component(visit, DORIS_PREDNISOLONE_AT_MOST_MG, settings),
        _drug_component(
            "allowed_drugs",
            "antimalarials, immunosuppressants and biologics at stable doses; no investigational drug",
            visit,
            infusion_day,
            settings,
            frozenset(
                {LupusDrugClass.ANTIMALARIAL, LupusDrugClass.IMMUNOSUPPRESSANT, LupusDrugClass.BIOLOGIC}
            ),
            lambda d: d.stable_dose,
            "at a stable dose",
        ),
    )
    return _criterion("DORIS remission", components)


def assess_response(
    subject: ResponseVisits, settings: ResponseSettings = ResponseSettings()
) -> SubjectResponse:
    """Every visit against the first (the baseline): score changes, SRI-k, LLDAS and DORIS remission."""
    baseline = subject.visits[0]
    return SubjectResponse(
        subject_id=subject.subject_id,
        settings=settings,
        visits=tuple(
            VisitResponse(
                visit=visit.visit,
                day=visit.day,
                visit_date=visit.visit_date,
                scores=calculate_score_changes(baseline, visit),
                sri=assess_sri(baseline, visit, settings),
                lldas=assess_lldas(visit, subject.car_t_infusion_day, settings, previous),
                doris=assess_doris(visit, subject.car_t_infusion_day, settings),
            )
            for previous, visit in zip((None, *subject.visits), subject.visits, strict=False)
        ),
    )
