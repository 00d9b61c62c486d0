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
from cartrial.clinical.formulary import DrugClass, drug_class
from cartrial.clinical.sledai import SledaiScore, SledaiVersion, calculate_sledai
from cartrial.clinical.tristate import at_least
from cartrial.clinical.units import format_decimal
from cartrial.eligibility.dates import add_months, age_in_years
from cartrial.eligibility.facts import RecordFacts, format_limit, medications_with_names, window_start
from cartrial.eligibility.record import ClassificationFindings, Medication, SerologyResult
from cartrial.eligibility.regimen import courses, dose_on, is_standard_regimen_drug, run_start
from cartrial.eligibility.result import CriterionResult, Finding, combine, combine_shared, found, unknown


def assess_consent(facts: RecordFacts) -> CriterionResult:
    """Inclusion 1: informed consent signed voluntarily."""
    record = facts.record
    signed = record.consent_date is not None
    value = record.consent_date.isoformat() if record.consent_date else "not signed"
    finding = found("ICF signed", value, "signed on or before the screening date", signed)
    return combine("inc-1-consent", "inclusion", "Informed consent signed", (finding,), "all")


def assess_age(facts: RecordFacts) -> CriterionResult:
    """Inclusion 2: 18-70 years old inclusive, in completed years on the day the ICF is signed."""
    record, params = facts.record, facts.params
    title = f"Age {params.age_min_years}-{params.age_max_years} years at ICF signature"
    if record.birth_date is None or record.consent_date is None:
        missing = [name for name in ("birth_date", "consent_date") if getattr(record, name) is None]
        return combine("inc-2-age", "inclusion", title, (unknown(*missing),), "all")
    age = age_in_years(record.birth_date, record.consent_date)
    finding = found(
        "age at ICF signature",
        f"{age} years (born {record.birth_date.isoformat()}, ICF {record.consent_date.isoformat()})",
        f"{params.age_min_years} <= age <= {params.age_max_years}",
        params.age_min_years <= age <= params.age_max_years,
    )
    return combine("inc-2-age", "inclusion", title, (finding,), "all")


def assess_diagnosis(facts: RecordFacts) -> CriterionResult:
    """Inclusion 3: SLE by the protocol's classification criteria (ACR 1997 revised in the registry)."""
    record, criteria_set = facts.record, facts.params.classification_criteria
    findings = record.classification
    items = None if findings is None else _recorded_items(findings, criteria_set)
    if items is None:
        missing = unknown(f"classification.{criteria_set.lower()}: the {criteria_set} items")
        return combine_shared(_DIAGNOSIS, "inclusion", _diagnosis_title(criteria_set), (missing,), "all")
    return _diagnosis_criterion(criteria_set, items)


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


# Memoised: the criterion is a function of the items recorded alone (frozen, hashable), and the
# patterns of items recorded repeat across candidates.
@lru_cache(maxsize=4096)
def _diagnosis_criterion(criteria_set: str, items: Items) -> CriterionResult:
    result = _classify(items)
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
    record, params = facts.record, facts.params
    screening = record.screening_date
    findings: list[Finding] = []
    history = params.sle_history_min_months
    if record.sle_diagnosis_date is None:
        findings.append(unknown("sle_diagnosis_date"))
    else:
        findings.append(
            found(
                "SLE history",
                f"diagnosed {record.sle_diagnosis_date.isoformat()}",
                f">= {history} calendar months before screening",
                add_months(record.sle_diagnosis_date, history) <= screening,
            )
        )
    active = params.disease_active_min_months
    if record.active_disease_since is None:
        findings.append(unknown("active_disease_since"))
    else:
        findings.append(
            found(
                "active disease",
                f"active since {record.active_disease_since.isoformat()}",
                f">= {active} calendar months before screening",
                add_months(record.active_disease_since, active) <= screening,
            )
        )
    findings.append(_stable_standard_regimen(facts))
    return combine(
        "inc-4-disease-history",
        "inclusion",
        "SLE >= 6 months, active >= 2 months on a stable standard regimen",
        tuple(findings),
        "all",
    )


def _stable_standard_regimen(facts: RecordFacts) -> Finding:
    record, params = facts.record, facts.params
    if record.medications is None:
        return unknown("medications")
    months = params.standard_regimen_min_months
    screening = record.screening_date
    standard, biologics_count = params.standard_regimen_drugs, params.biologics_count_as_immunomodulators
    regimen_periods = [
        (name, m.start_date, m.stop_date)
        for (m, name), systemic in zip(
            medications_with_names(facts), facts.systemic_glucocorticoid, strict=True
        )
        if is_standard_regimen_drug(name, standard, biologics_count)
        and (drug_class(name) is not DrugClass.CORTICOSTEROID or systemic)
    ]
    ongoing = [c for c in courses(regimen_periods) if c.covers(screening)]
    steady = [c for c in ongoing if add_months(c.start, months) <= screening]
    if steady:
        value = ", ".join(f"{c.drug} since {c.start.isoformat()}" for c in steady)
    elif ongoing:
        value = ", ".join(f"{c.drug} since {c.start.isoformat()}" for c in ongoing)
    else:
        value = "no standard-regimen drug ongoing at screening"
    return found(
        "stable standard regimen",
        value,
        f"a standard-regimen drug taken steadily for >= {months} calendar months up to screening",
        bool(steady),
    )


def assess_corticosteroids(facts: RecordFacts) -> CriterionResult:
    """Inclusion 4 (oral corticosteroids): dose, >= 8 weeks of treatment, dose stable > 2 weeks."""
    title = "Oral corticosteroid dose, duration and stability"
    cid = "inc-4-corticosteroid"
    record, params = facts.record, facts.params
    if record.medications is None:
        return combine_shared(cid, "inclusion", title, (unknown("medications"),), "all")
    screening = record.screening_date
    glucocorticoids: list[Medication] = []
    undosed: list[str] = []
    for i, (m, systemic) in enumerate(zip(record.medications, facts.systemic_glucocorticoid, strict=True)):
        if systemic and m.start_date <= screening:
            glucocorticoids.append(m)
            if m.dose is None:
                undosed.append(f"medications.{i}.dose")
    if undosed:
        return combine(cid, "inclusion", title, (unknown(*undosed),), "all")
    segments = facts.steroid_segments
    on_oral = any(
        m.route == "oral" and (m.stop_date is None or m.stop_date >= screening) for m in glucocorticoids
    )
    if not on_oral:
        finding = found(
            "oral glucocorticoid at screening",
            "none",
            "a patient on no oral glucocorticoid meets this criterion (setting)",
            params.no_oral_steroid_meets_steroid_criterion,
        )
        return combine_shared(cid, "inclusion", title, (finding,), "all")
    dose = dose_on(segments, screening)
    with_immunosuppressant = _on_immunosuppressant(facts)
    minimum = None if with_immunosuppressant else params.prednisone_min_mg_per_day
    dose_rule = (
        f"<= {format_limit(params.prednisone_max_mg_per_day)} mg/day (no minimum with an immunosuppressant)"
        if minimum is None
        else f"{format_limit(minimum)} to {format_limit(params.prednisone_max_mg_per_day)} mg/day"
    )
    findings = [
        found(
            "prednisone-equivalent dose at screening",
            f"{format_decimal(dose)} mg/day ({params.glucocorticoid_table} table)",
            dose_rule,
            (minimum is None or dose >= minimum) and dose <= params.prednisone_max_mg_per_day,
        )
    ]
    therapy_start = run_start(segments, screening, same=False)
    stable_since = run_start(segments, screening, same=True)
    assert therapy_start is not None and stable_since is not None
    treated_days = (screening - therapy_start).days
    stable_days = (screening - stable_since).days
    findings.append(
        found(
            "glucocorticoid treatment duration",
            f"{treated_days} days (continuous since {therapy_start.isoformat()})",
            f">= {params.steroid_min_treatment_days} days before screening",
            treated_days >= params.steroid_min_treatment_days,
        )
    )
    findings.append(
        found(
            "dose stable",
            f"{stable_days} days (unchanged since {stable_since.isoformat()})",
            f">= {params.steroid_stable_min_days} days (> 2 weeks)",
            stable_days >= params.steroid_stable_min_days,
        )
    )
    return combine(cid, "inclusion", title, tuple(findings), "all")


def _on_immunosuppressant(facts: RecordFacts) -> bool:
    """Whether an immunosuppressant (or a biologic, if they count) is taken on the screening date.

    A course of a drug covers a day exactly when one of its periods does (a course is the union of
    periods that touch), so the periods are read directly.
    """
    params, screening = facts.params, facts.record.screening_date
    immunomodulators = params.immunosuppressants
    if params.biologics_count_as_immunomodulators:
        immunomodulators += params.biologics
    return any(
        name in immunomodulators
        and m.start_date <= screening
        and (m.stop_date is None or m.stop_date >= screening)
        for m, name in medications_with_names(facts)
    )


def assess_serology(facts: RecordFacts) -> CriterionResult:
    """Inclusion 5: ANA and/or anti-dsDNA and/or anti-Sm positive at screening."""
    title = "Positive ANA, anti-dsDNA or anti-Sm at screening"
    cid = "inc-5-serology"
    record, params = facts.record, facts.params
    days = params.lab_max_age_days
    if record.serology is None:
        return combine(cid, "inclusion", title, (unknown("serology"),), "all")
    first = window_start(record, days)
    latest: dict[str, SerologyResult] = {}
    for result in record.serology:
        # The latest in the window; the first listed on a tie.
        if result.result_date >= first and (
            result.test not in latest or result.result_date > latest[result.test].result_date
        ):
            latest[result.test] = result
    findings: list[Finding] = []
    for test in params.accepted_autoantibodies:
        found_result = latest.get(test)
        if found_result is None:
            findings.append(unknown(f"serology: {test} dated within {days} days before screening"))
        else:
            titre = f" {found_result.titre}" if found_result.titre else ""
            sign = "positive" if found_result.positive else "negative"
            findings.append(
                found(
                    test,
                    f"{sign}{titre} on {found_result.result_date.isoformat()}",
                    "positive",
                    found_result.positive,
                )
            )
    return combine(cid, "inclusion", title, tuple(findings), "any")


def assess_sledai(facts: RecordFacts) -> CriterionResult:
    """Inclusion 6: SELENA-SLEDAI >= 8; clinical score >= 6 if a serological descriptor is scored."""
    params, record = facts.params, facts.record
    minimum, clinical_minimum = params.sledai_min_total, params.sledai_min_clinical_if_serology_scored
    days = params.sledai_assessment_max_age_days
    assessment = record.sledai
    if (
        assessment is None
        or assessment.version is not SledaiVersion.SELENA
        or assessment.assessment_date < window_start(record, days)
    ):
        wanted = f"sledai: a SELENA-SLEDAI assessment dated within {days} days before screening"
        title = _sledai_title(minimum, clinical_minimum)
        return combine_shared(_SLEDAI, "inclusion", title, (unknown(wanted),), "all")
    return _sledai_criterion(calculate_sledai(assessment), minimum, clinical_minimum)


_SLEDAI = "inc-6-sledai"


def _sledai_title(min_total: int, min_clinical: int) -> str:
    return f"SELENA-SLEDAI >= {min_total} (clinical >= {min_clinical} if serology scored)"


# Memoised: the criterion is a function of the score and the two thresholds alone, and scores repeat.
@lru_cache(maxsize=4096)
def _sledai_criterion(score: SledaiScore, min_total: int, min_clinical: int) -> CriterionResult:
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
