"""The six registered exclusion criteria (registry record; readings in docs/protocol-readings.md).

An exclusion criterion is *met* when the candidate has the excluding condition.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from cartrial.clinical.units import Analyte, convert, format_decimal, is_molar
from cartrial.eligibility.facts import RecordFacts, iso_date, medications_with_names, read_lab
from cartrial.eligibility.record import Episode
from cartrial.eligibility.regimen import ONE_DAY, days_at_or_above
from cartrial.eligibility.result import (
    CriterionResult,
    Finding,
    combine,
    combine_one,
    combine_shared,
    decide,
    found,
    found_shared,
    unknown,
)

# Major organ transplants: the registry names heart, lung, kidney and liver "e.g."; pancreas and
# intestine are the other solid organs transplanted with lifelong immunosuppression.
MAJOR_ORGANS = frozenset({"heart", "lung", "kidney", "liver", "pancreas", "intestine"})
TRANSPLANT_RULE = f"any {', '.join(sorted(MAJOR_ORGANS))}, haematopoietic stem cell or bone marrow transplant"


def _recent(episode: Episode, first: date) -> bool:
    """Ongoing at screening, or ended within the look-back before it (on or after its `first` day)."""
    return episode.end_date is None or episode.end_date >= first


def _episode_text(episode: Episode) -> str:
    end = "ongoing" if episode.end_date is None else f"ended {iso_date(episode.end_date)}"
    return f"from {iso_date(episode.onset_date)}, {end}"


def assess_severe_nephritis(facts: RecordFacts) -> CriterionResult:
    """Exclusion 1: severe lupus nephritis, by any of its five markers."""
    findings = (
        _proteinuria(facts),
        _creatinine(facts),
        _haemodialysis(facts),
        _prohibited_nephritis_drugs(facts),
        _high_dose_glucocorticoid(facts),
    )
    return combine("exc-1-severe-nephritis", "exclusion", "Severe lupus nephritis", findings, "any")


def _proteinuria(facts: RecordFacts) -> Finding:
    lab = facts.latest_labs.get(Analyte.URINE_PROTEIN_24H)
    if lab is None:
        return unknown(facts.plan.missing_labs[Analyte.URINE_PROTEIN_24H])
    value, text = read_lab(lab)
    return found(
        "24-h urine protein",
        text,
        facts.plan.proteinuria_rule,
        value > facts.params.proteinuria_max_g_per_24h,
    )


def _creatinine(facts: RecordFacts) -> Finding:
    """Compared in the unit family the lab reported, against the limit stated in that unit."""
    params, plan = facts.params, facts.plan
    lab = facts.latest_labs.get(Analyte.CREATININE)
    if lab is None:
        return unknown(plan.missing_labs[Analyte.CREATININE])
    # Zero is read afresh: 0 and -0 are equal (one memo entry) but written differently.
    read = _creatinine_reading if lab.value else _read_creatinine
    value, molar, written, reported = read(lab.value, lab.unit)
    return found(
        "serum creatinine",
        f"{written} on {iso_date(lab.result_date)}{reported}",
        plan.creatinine_rule_molar if molar else plan.creatinine_rule_mass,
        value > (params.creatinine_max_umol_per_l if molar else params.creatinine_max_mg_per_dl),
    )


def _read_creatinine(value: Decimal, unit: str) -> tuple[Decimal, bool, str, str]:
    """The value in the unit family reported (µmol/L or mg/dL), whether molar, the value written with
    that unit, and ' (reported <value as reported>)'."""
    molar = is_molar(unit)
    converted = convert(value, unit, "umol/L" if molar else "mg/dL")
    shown = f"{format_decimal(converted)} {'µmol/L' if molar else 'mg/dL'}"
    return converted, molar, shown, f" (reported {format_decimal(value)} {unit})"


# Memoised on the value and unit reported, which determine the reading; equal non-zero values (2.5,
# 2.50) are written alike by `format_decimal`, so they share an entry exactly.
_creatinine_reading = lru_cache(maxsize=4096)(_read_creatinine)


def _haemodialysis(facts: RecordFacts) -> Finding:
    record = facts.record
    if record.dialysis is None:
        return unknown("dialysis")
    first, rule = facts.high_dose_first, facts.plan.episode_rule
    if not record.dialysis:
        return found_shared("haemodialysis", "none", rule, False)
    recent = [e for e in record.dialysis if _recent(e, first)]
    shown = "; ".join(_episode_text(e) for e in record.dialysis)
    return found("haemodialysis", shown, rule, bool(recent))


def _prohibited_nephritis_drugs(facts: RecordFacts) -> Finding:
    record, params = facts.record, facts.params
    prohibited = params.prohibited_nephritis_drugs
    rule = "active nephritis treated with a prohibited drug" + (
        "" if prohibited else " (protocol lists none)"
    )
    if not prohibited:
        return found_shared("prohibited nephritis drugs", "none listed by the protocol", rule, False)
    if record.medications is None:
        return unknown("medications")
    first = facts.high_dose_first
    taken = sorted(
        {
            name
            for m, name in medications_with_names(facts)
            if name in prohibited and (m.stop_date is None or m.stop_date >= first)
        }
    )
    if not taken:
        return found_shared("prohibited nephritis drugs", "none taken", rule, False)
    if record.lupus_nephritis_active is None:
        return found("prohibited nephritis drugs", ", ".join(taken), rule, None, ("lupus_nephritis_active",))
    return found(
        "prohibited nephritis drugs",
        f"{', '.join(taken)}; nephritis {'active' if record.lupus_nephritis_active else 'not active'}",
        rule,
        record.lupus_nephritis_active,
    )


def _high_dose_glucocorticoid(facts: RecordFacts) -> Finding:
    """Prednisone-equivalent >= 100 mg/day on >= 14 days within the 56 days before screening.

    The dose over time is the record's (`RecordFacts.steroid_segments`): on the days of the look-back
    it is the sum over the very periods that overlap it.
    """
    record, params = facts.record, facts.params
    if record.medications is None:
        return unknown("medications")
    first = facts.high_dose_first
    last = record.screening_date - ONE_DAY
    # The periods taken in the look-back are among those started by screening (`facts.glucocorticoids`).
    undosed = [
        f"medications.{i}.dose"
        for i, m in facts.glucocorticoids
        if m.dose is None and m.start_date <= last and (m.stop_date is None or m.stop_date >= first)
    ]
    if undosed:
        return unknown(*undosed)
    days = days_at_or_above(facts.steroid_segments, params.high_dose_prednisone_mg_per_day, first, last)
    return found(
        "high-dose glucocorticoid",
        f"{days} days at >= {facts.plan.high_dose_threshold} mg/day prednisone-equivalent "
        f"({iso_date(first)} to {iso_date(last)})",
        facts.plan.high_dose_rule,
        days >= params.high_dose_min_days,
    )


def assess_lupus_crisis(facts: RecordFacts) -> CriterionResult:
    """Exclusion 2: a lupus crisis ongoing or within the look-back (active CNS lupus included)."""
    title = "Lupus crisis (incl. active CNS lupus)"
    cid = "exc-2-lupus-crisis"
    record = facts.record
    first = record.screening_date - facts.plan.crisis_window
    rule = facts.plan.crisis_rule
    findings: list[Finding] = []
    if record.lupus_crises is None:
        findings.append(unknown("lupus_crises"))
    elif not record.lupus_crises:
        findings.append(found("lupus crises", "none", rule, False))
    else:
        recent = [c for c in record.lupus_crises if _recent(c, first)]
        shown = "; ".join(f"{c.kind.value} {_episode_text(c)}" for c in record.lupus_crises)
        findings.append(found("lupus crises", shown, rule, bool(recent)))
    lupus_cns = [d for d in record.cns_disorders or () if d.caused_by_lupus and _recent(d, first)]
    if lupus_cns:
        shown = "; ".join(f"{d.kind.value} caused by lupus {_episode_text(d)}" for d in lupus_cns)
        findings.append(found("active CNS lupus", shown, rule, True))
    # Nothing recorded, or recorded none: the result carries nothing of this record.
    assemble = combine if record.lupus_crises or lupus_cns else combine_shared
    return assemble(cid, "exclusion", title, tuple(findings), "any")


def assess_cns_disease(facts: RecordFacts) -> CriterionResult:
    """Exclusion 3: clinically significant CNS disease not caused by lupus, at any time before screening."""
    record = facts.record
    if record.cns_disorders is None:
        return _CNS_NOT_RECORDED
    findings: list[Finding] = []
    rule = _CNS_RULE
    for i, disorder in enumerate(record.cns_disorders):
        if not disorder.clinically_significant:
            continue
        cause = {True: "caused by lupus", False: "not caused by lupus", None: "cause not established"}
        not_lupus = None if disorder.caused_by_lupus is None else not disorder.caused_by_lupus
        findings.append(
            found(
                disorder.kind.value,
                f"{cause[disorder.caused_by_lupus]}, {_episode_text(disorder)}",
                rule,
                not_lupus,
                (f"cns_disorders.{i}.caused_by_lupus",),
            )
        )
    if not findings:
        return _NO_CNS_DISEASE
    return combine(_CNS, "exclusion", _CNS_TITLE, tuple(findings), "any")


# The results that carry nothing of the record (nothing recorded, or recorded none), built once.
_CNS, _CNS_TITLE = "exc-3-cns-disease", "Clinically significant CNS disease not caused by lupus"
_CNS_RULE = "clinically significant and not caused by lupus"


def _history_results(
    criterion_id: str, title: str, field: str, item: str, none: str, rule: str
) -> tuple[CriterionResult, CriterionResult]:
    """A history exclusion's two results that carry nothing of the record: `field` not recorded
    (unknown), and recorded with nothing that counts (not met)."""
    return (
        combine(criterion_id, "exclusion", title, (unknown(field),), "any"),
        combine(criterion_id, "exclusion", title, (found(item, none, rule, False),), "any"),
    )


_CNS_NOT_RECORDED, _NO_CNS_DISEASE = _history_results(
    _CNS, _CNS_TITLE, "cns_disorders", "CNS disorders", "none clinically significant", _CNS_RULE
)


def assess_other_autoimmune(facts: RecordFacts) -> CriterionResult:
    """Exclusion 4: another autoimmune disease needing systemic immunosuppressive/-modulatory treatment."""
    record = facts.record
    if record.other_autoimmune_diseases is None:
        return _AUTOIMMUNE_NOT_RECORDED
    rule = _AUTOIMMUNE_RULE
    if not record.other_autoimmune_diseases:
        return _NO_OTHER_AUTOIMMUNE
    findings = tuple(
        found(
            disease.name,
            {True: "needs systemic treatment", False: "no systemic treatment needed", None: "not stated"}[
                disease.needs_systemic_treatment
            ],
            rule,
            disease.needs_systemic_treatment,
            (f"other_autoimmune_diseases.{i}.needs_systemic_treatment",),
        )
        for i, disease in enumerate(record.other_autoimmune_diseases)
    )
    return combine(_AUTOIMMUNE, "exclusion", _AUTOIMMUNE_TITLE, findings, "any")


_AUTOIMMUNE, _AUTOIMMUNE_TITLE = (
    "exc-4-other-autoimmune",
    "Other autoimmune disease needing systemic treatment",
)
_AUTOIMMUNE_RULE = "needs systemic immunosuppressive or immunomodulatory treatment"
_AUTOIMMUNE_NOT_RECORDED, _NO_OTHER_AUTOIMMUNE = _history_results(
    _AUTOIMMUNE,
    _AUTOIMMUNE_TITLE,
    "other_autoimmune_diseases",
    "other autoimmune diseases",
    "none",
    _AUTOIMMUNE_RULE,
)


def assess_transplant(facts: RecordFacts) -> CriterionResult:
    """Exclusion 5: major organ, haematopoietic stem cell or bone marrow transplant, ever."""
    record = facts.record
    if record.transplants is None:
        return _TRANSPLANTS_NOT_RECORDED
    rule = TRANSPLANT_RULE
    if not record.transplants:
        return _NO_TRANSPLANT
    findings = tuple(
        found(
            "transplant",
            t.kind if t.organ is None else f"{t.organ} ({t.kind})",
            rule,
            t.kind != "organ" or t.organ in MAJOR_ORGANS,
        )
        for t in record.transplants
    )
    return combine(_TRANSPLANT, "exclusion", _TRANSPLANT_TITLE, findings, "any")


_TRANSPLANT, _TRANSPLANT_TITLE = "exc-5-transplant", "Major organ or haematopoietic stem cell transplant"
_TRANSPLANTS_NOT_RECORDED, _NO_TRANSPLANT = _history_results(
    _TRANSPLANT, _TRANSPLANT_TITLE, "transplants", "transplants", "none", TRANSPLANT_RULE
)


def assess_iga_deficiency(facts: RecordFacts) -> CriterionResult:
    """Exclusion 6: serum IgA < 10 mg/dL at screening."""
    plan = facts.plan
    cid = "exc-6-iga-deficiency"
    lab = facts.latest_labs.get(Analyte.IGA)
    if lab is None:
        missing = unknown(plan.missing_labs[Analyte.IGA])
        return combine_shared(cid, "exclusion", plan.iga_title, (missing,), "any")
    value, text = read_lab(lab)
    outcome, evidence = decide("serum IgA", text, plan.iga_rule, value < plan.iga_limit_g_per_l)
    return combine_one(cid, "exclusion", plan.iga_title, outcome, evidence)


EXCLUSION_CRITERIA = (
    assess_severe_nephritis,
    assess_lupus_crisis,
    assess_cns_disease,
    assess_other_autoimmune,
    assess_transplant,
    assess_iga_deficiency,
)
