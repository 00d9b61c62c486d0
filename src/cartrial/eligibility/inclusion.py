"""The registered inclusion criteria (registry record; readings in docs/protocol-readings.md).

The registered list has bullets 1-4, then items numbered 5 and 6; the corticosteroid rules belong to the
4th bullet (the standard regimen). Criterion ids keep the registry's numbers.
"""

from __future__ import annotations

from functools import lru_cache

from cartrial.clinical.classification import (
    Acr1997Items,
    Classification,
    ClassificationResult,
    EularAcr2019Items,
    Slicc2012Items,
    classify_acr1997,
    classify_eular_acr2019,
    classify_slicc2012,
)
from cartrial.clinical.sledai import Descriptor, SledaiVersion, score_descriptors
from cartrial.clinical.tristate import Tristate, at_least
from cartrial.eligibility.dates import add_months, age_in_years
from cartrial.eligibility.facts import RecordFacts, format_amount, iso_date
from cartrial.eligibility.record import ClassificationFindings, SerologyResult
from cartrial.eligibility.regimen import Course, courses, dose_on, run_start
from cartrial.eligibility.result import (
    CriterionResult,
    Finding,
    combine,
    combine_one,
    combine_shared,
    decide,
    found,
    unknown,
)


def assess_consent(facts: RecordFacts) -> CriterionResult:
    """Inclusion 1: informed consent signed voluntarily."""
    consent = facts.record.consent_date
    outcome, evidence = decide(
        "ICF signed",
        "not signed" if consent is None else iso_date(consent),
        "signed on or before the screening date",
        consent is not None,
    )
    return combine_one("inc-1-consent", "inclusion", "Informed consent signed", outcome, evidence)


def assess_age(facts: RecordFacts) -> CriterionResult:
    """Inclusion 2: 18-70 years old inclusive, in completed years on the day the ICF is signed."""
    record, params, plan = facts.record, facts.params, facts.plan
    birth, consent = record.birth_date, record.consent_date
    if birth is None or consent is None:
        missing = [name for name, day in (("birth_date", birth), ("consent_date", consent)) if day is None]
        return combine("inc-2-age", "inclusion", plan.age_title, (unknown(*missing),), "all")
    age = age_in_years(birth, consent)
    outcome, evidence = decide(
        "age at ICF signature",
        f"{age} years (born {iso_date(birth)}, ICF {iso_date(consent)})",
        plan.age_rule,
        params.age_min_years <= age <= params.age_max_years,
    )
    return combine_one("inc-2-age", "inclusion", plan.age_title, outcome, evidence)


def assess_diagnosis(facts: RecordFacts) -> CriterionResult:
    """Inclusion 3: SLE by the protocol's classification criteria (ACR 1997 revised in the registry)."""
    record, criteria_set = facts.record, facts.params.classification_criteria
    findings = record.classification
    items = None if findings is None else _recorded_items(findings, criteria_set)
    if items is None:
        missing = unknown(f"classification.{criteria_set.lower()}: the {criteria_set} items")
        return combine_shared(_DIAGNOSIS, "inclusion", _diagnosis_title(criteria_set), (missing,), "all")
    # The items' values in field order determine the items (hashing them is cheaper than the model).
    return _diagnosis_criterion(criteria_set, type(items), tuple(items.__dict__.values()))


_DIAGNOSIS = "inc-3-diagnosis"
Items = Acr1997Items | Slicc2012Items | EularAcr2019Items


def _diagnosis_title(criteria_set: str) -> str:
    return f"SLE diagnosis by {criteria_set} classification criteria"


def _recorded_items(findings: ClassificationFindings, criteria_set: str) -> Items | None:
    if criteria_set == "ACR1997":
        return findings.acr1997
    if criteria_set == "SLICC2012":
        return findings.slicc2012
    return findings.eular_acr2019


# Memoised: the criterion is a function of the items recorded alone, and the patterns of items
# recorded repeat across candidates.
@lru_cache(maxsize=4096)
def _diagnosis_criterion(
    criteria_set: str, items_type: type[Items], values: tuple[Tristate, ...]
) -> CriterionResult:
    result = _classify(items_type.model_validate(dict(zip(items_type.model_fields, values, strict=True))))
    classified = {Classification.CLASSIFIED: True, Classification.NOT_CLASSIFIED: False}.get(result.result)
    counted = ", ".join(f"{c.id} ({c.weight})" for c in result.counted) or "none"
    score = (
        str(result.score)
        if result.worst_case_score == result.best_case_score
        else f"{result.worst_case_score}-{result.best_case_score}"
    )
    finding = found(
        result.criteria_set.value,
        f"score {score}; met: {counted}",
        f">= {result.threshold} ({result.criteria_set.value})",
        classified,
        tuple(f"classification.{criteria_set.lower()}.{item}" for item in result.missing),
    )
    return combine(_DIAGNOSIS, "inclusion", _diagnosis_title(criteria_set), (finding,), "all")


def _classify(items: Items) -> ClassificationResult:
    if isinstance(items, Acr1997Items):
        return classify_acr1997(items)
    if isinstance(items, Slicc2012Items):
        return classify_slicc2012(items)
    return classify_eular_acr2019(items)


def assess_disease_history(facts: RecordFacts) -> CriterionResult:
    """Inclusion 4: SLE for >= 6 months; active >= 2 months on a stable standard regimen."""
    record, params, plan = facts.record, facts.params, facts.plan
    screening = record.screening_date
    diagnosed, active = record.sle_diagnosis_date, record.active_disease_since
    findings = (
        unknown("sle_diagnosis_date")
        if diagnosed is None
        else found(
            "SLE history",
            f"diagnosed {iso_date(diagnosed)}",
            plan.history_rule,
            add_months(diagnosed, params.sle_history_min_months) <= screening,
        ),
        unknown("active_disease_since")
        if active is None
        else found(
            "active disease",
            f"active since {iso_date(active)}",
            plan.active_rule,
            add_months(active, params.disease_active_min_months) <= screening,
        ),
        _stable_standard_regimen(facts),
    )
    return combine(
        "inc-4-disease-history",
        "inclusion",
        "SLE >= 6 months, active >= 2 months on a stable standard regimen",
        findings,
        "all",
    )


def _stable_standard_regimen(facts: RecordFacts) -> Finding:
    record, params, plan = facts.record, facts.params, facts.plan
    if record.medications is None:
        return unknown("medications")
    months = params.standard_regimen_min_months
    screening = record.screening_date
    ongoing: list[Course] = []
    steady: list[Course] = []
    for course in courses(facts.regimen_periods):
        if course.covers(screening):
            ongoing.append(course)
            if add_months(course.start, months) <= screening:
                steady.append(course)
    if steady or ongoing:
        value = ", ".join([f"{c.drug} since {iso_date(c.start)}" for c in steady or ongoing])
    else:
        value = "no standard-regimen drug ongoing at screening"
    return found("stable standard regimen", value, plan.regimen_rule, bool(steady))


def assess_corticosteroids(facts: RecordFacts) -> CriterionResult:
    """Inclusion 4 (oral corticosteroids): dose, >= 8 weeks of treatment, dose stable > 2 weeks."""
    title = "Oral corticosteroid dose, duration and stability"
    cid = "inc-4-corticosteroid"
    record, params, plan = facts.record, facts.params, facts.plan
    if record.medications is None:
        return combine_shared(cid, "inclusion", title, (unknown("medications"),), "all")
    screening = record.screening_date
    glucocorticoids = facts.glucocorticoids
    undosed = [f"medications.{i}.dose" for i, m in glucocorticoids if m.dose is None]
    if undosed:
        return combine(cid, "inclusion", title, (unknown(*undosed),), "all")
    segments = facts.steroid_segments
    if not facts.on_oral_glucocorticoid:
        finding = found(
            "oral glucocorticoid at screening",
            "none",
            "a patient on no oral glucocorticoid meets this criterion (setting)",
            params.no_oral_steroid_meets_steroid_criterion,
        )
        return combine_shared(cid, "inclusion", title, (finding,), "all")
    dose = dose_on(segments, screening)
    minimum = None if facts.on_immunomodulator else params.prednisone_min_mg_per_day
    therapy_start = run_start(segments, screening, dose, same=False)
    stable_since = run_start(segments, screening, dose, same=True)
    assert therapy_start is not None and stable_since is not None
    treated_days = (screening - therapy_start).days
    stable_days = (screening - stable_since).days
    findings = (
        found(
            "prednisone-equivalent dose at screening",
            f"{format_amount(dose)}{plan.dose_table}",
            plan.dose_rule_with_immunosuppressant if minimum is None else plan.dose_rule,
            (minimum is None or dose >= minimum) and dose <= params.prednisone_max_mg_per_day,
        ),
        found(
            "glucocorticoid treatment duration",
            f"{treated_days} days (continuous since {iso_date(therapy_start)})",
            plan.treatment_rule,
            treated_days >= params.steroid_min_treatment_days,
        ),
        found(
            "dose stable",
            f"{stable_days} days (unchanged since {iso_date(stable_since)})",
            plan.stable_rule,
            stable_days >= params.steroid_stable_min_days,
        ),
    )
    return combine(cid, "inclusion", title, findings, "all")


def assess_serology(facts: RecordFacts) -> CriterionResult:
    """Inclusion 5: ANA and/or anti-dsDNA and/or anti-Sm positive at screening."""
    title = "Positive ANA, anti-dsDNA or anti-Sm at screening"
    cid = "inc-5-serology"
    serology = facts.record.serology
    if serology is None:
        return combine(cid, "inclusion", title, (unknown("serology"),), "all")
    first = facts.lab_first
    latest: dict[str, SerologyResult] = {}
    for result in serology:
        # The latest in the window; the first listed on a tie.
        if result.result_date >= first:
            current = latest.get(result.test)
            if current is None or result.result_date > current.result_date:
                latest[result.test] = result
    findings: list[Finding] = []
    for test, missing in facts.plan.serology_missing:
        found_result = latest.get(test)
        if found_result is None:
            findings.append(unknown(missing))
        else:
            titre = f" {found_result.titre}" if found_result.titre else ""
            sign = "positive" if found_result.positive else "negative"
            findings.append(
                found(
                    test,
                    f"{sign}{titre} on {iso_date(found_result.result_date)}",
                    "positive",
                    found_result.positive,
                )
            )
    return combine(cid, "inclusion", title, tuple(findings), "any")


def assess_sledai(facts: RecordFacts) -> CriterionResult:
    """Inclusion 6: SELENA-SLEDAI >= 8; clinical score >= 6 if a serological descriptor is scored."""
    params, record = facts.params, facts.record
    minimum, clinical_minimum = params.sledai_min_total, params.sledai_min_clinical_if_serology_scored
    assessment = record.sledai
    if (
        assessment is None
        or assessment.version is not SledaiVersion.SELENA
        or assessment.assessment_date < record.screening_date - facts.plan.sledai_window
    ):
        days = params.sledai_assessment_max_age_days
        wanted = f"sledai: a SELENA-SLEDAI assessment dated within {days} days before screening"
        title = _sledai_title(minimum, clinical_minimum)
        return combine_shared(_SLEDAI, "inclusion", title, (unknown(wanted),), "all")
    # The descriptors as scored determine the score (hashing them is cheaper than scoring them).
    descriptors = tuple(assessment.descriptors.items())
    return _sledai_criterion(assessment.version, descriptors, minimum, clinical_minimum)


_SLEDAI = "inc-6-sledai"


def _sledai_title(min_total: int, min_clinical: int) -> str:
    return f"SELENA-SLEDAI >= {min_total} (clinical >= {min_clinical} if serology scored)"


# Memoised: the criterion is a function of the descriptors as scored and the two thresholds alone, and
# the patterns of descriptors repeat across candidates.
@lru_cache(maxsize=4096)
def _sledai_criterion(
    version: SledaiVersion,
    descriptors: tuple[tuple[Descriptor, bool | None], ...],
    min_total: int,
    min_clinical: int,
) -> CriterionResult:
    score = score_descriptors(version, dict(descriptors))
    title = _sledai_title(min_total, min_clinical)
    unknown_items = tuple(f"sledai.descriptors.{d.value}" for d in score.unknown)
    span = str(score.low) if score.is_exact else f"{score.low}-{score.high}"
    total_ok = at_least(score.low, score.high, min_total)
    findings = [found("SELENA-SLEDAI total", span, f">= {min_total}", total_ok, unknown_items)]
    serology = score.serology_scored
    clinical_ok = at_least(score.clinical_low, score.clinical_high, min_clinical)
    clinical_span = (
        str(score.clinical_low)
        if score.clinical_low == score.clinical_high
        else f"{score.clinical_low}-{score.clinical_high}"
    )
    if serology is False:
        rule_holds: bool | None = True
    elif serology is True or clinical_ok is True:
        rule_holds = clinical_ok
    else:
        rule_holds = None
    rule = f">= {min_clinical} when low complement or DNA binding is scored"
    scored = {True: "serology scored", False: "serology not scored", None: "serology unknown"}[serology]
    findings.append(
        found("clinical SELENA-SLEDAI", f"{clinical_span} ({scored})", rule, rule_holds, unknown_items)
    )
    return combine(_SLEDAI, "inclusion", title, tuple(findings), "all")


INCLUSION_CRITERIA = (
    assess_consent,
    assess_age,
    assess_diagnosis,
    assess_disease_history,
    assess_corticosteroids,
    assess_serology,
    assess_sledai,
)
