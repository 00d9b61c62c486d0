"""The six registered exclusion criteria (registry record; readings in docs/protocol-readings.md).

An exclusion criterion is *met* when the candidate has the excluding condition.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from cartrial.clinical.units import Analyte, convert, format_decimal, is_molar, to_canonical
from cartrial.eligibility.facts import (
    RecordFacts,
    canonical_value,
    describe_lab,
    format_limit,
    medications_with_names,
    missing_lab,
    window_start,
)
from cartrial.eligibility.record import Episode
from cartrial.eligibility.regimen import ONE_DAY, days_at_or_above
from cartrial.eligibility.result import (
    CriterionResult,
    Finding,
    combine,
    combine_shared,
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
    end = "ongoing" if episode.end_date is None else f"ended {episode.end_date.isoformat()}"
    return f"from {episode.onset_date.isoformat()}, {end}"


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
    params = facts.params
    lab = facts.latest_labs.get(Analyte.URINE_PROTEIN_24H)
    if lab is None:
        return unknown(missing_lab(Analyte.URINE_PROTEIN_24H, params.lab_max_age_days))
    limit = params.proteinuria_max_g_per_24h
    value = canonical_value(lab)
    return found(
        "24-h urine protein", describe_lab(lab, value), f"> {format_limit(limit)} g/24 h", value > limit
    )


def _creatinine(facts: RecordFacts) -> Finding:
    """Compared in the unit family the lab reported, against the limit stated in that unit."""
    params = facts.params
    lab = facts.latest_labs.get(Analyte.CREATININE)
    if lab is None:
        return unknown(missing_lab(Analyte.CREATININE, params.lab_max_age_days))
    if is_molar(lab.unit):
        value, limit, unit = (
            convert(lab.value, lab.unit, "umol/L"),
            params.creatinine_max_umol_per_l,
            "µmol/L",
        )
    else:
        value, limit, unit = convert(lab.value, lab.unit, "mg/dL"), params.creatinine_max_mg_per_dl, "mg/dL"
    return found(
        "serum creatinine",
        f"{format_decimal(value)} {unit} on {lab.result_date.isoformat()}"
        f" (reported {format_decimal(lab.value)} {lab.unit})",
        f"> {format_limit(limit)} {unit}",
        value > limit,
    )


def _haemodialysis(facts: RecordFacts) -> Finding:
    record = facts.record
    if record.dialysis is None:
        return unknown("dialysis")
    lookback = facts.params.high_dose_lookback_days
    first = window_start(record, lookback)
    rule = f"ongoing or within {lookback} days before screening"
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
    first = window_start(record, params.high_dose_lookback_days)
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
    first = window_start(record, params.high_dose_lookback_days)
    last = record.screening_date - ONE_DAY
    undosed = tuple(
        [
            f"medications.{i}.dose"
            for i, (m, systemic) in enumerate(
                zip(record.medications, facts.systemic_glucocorticoid, strict=True)
            )
            if systemic
            and m.dose is None
            and m.start_date <= last
            and (m.stop_date is None or m.stop_date >= first)
        ]
    )
    if undosed:
        return unknown(*undosed)
    threshold = params.high_dose_prednisone_mg_per_day
    days = days_at_or_above(facts.steroid_segments, threshold, first, last)
    return found(
        "high-dose glucocorticoid",
        f"{days} days at >= {format_limit(threshold)} mg/day prednisone-equivalent "
        f"({first.isoformat()} to {last.isoformat()})",
        f">= {params.high_dose_min_days} days in the {params.high_dose_lookback_days} days before screening",
        days >= params.high_dose_min_days,
    )


def assess_lupus_crisis(facts: RecordFacts) -> CriterionResult:
    """Exclusion 2: a lupus crisis ongoing or within the look-back (active CNS lupus included)."""
    title = "Lupus crisis (incl. active CNS lupus)"
    cid = "exc-2-lupus-crisis"
    record = facts.record
    lookback = facts.params.lupus_crisis_lookback_days
    first = window_start(record, lookback)
    rule = f"ongoing or within {lookback} days before screening"
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
    title = "Clinically significant CNS disease not caused by lupus"
    cid = "exc-3-cns-disease"
    if record.cns_disorders is None:
        return combine_shared(cid, "exclusion", title, (unknown("cns_disorders"),), "any")
    findings: list[Finding] = []
    rule = "clinically significant and not caused by lupus"
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
        none = (found("CNS disorders", "none clinically significant", rule, False),)
        return combine_shared(cid, "exclusion", title, none, "any")
    return combine(cid, "exclusion", title, tuple(findings), "any")


def assess_other_autoimmune(facts: RecordFacts) -> CriterionResult:
    """Exclusion 4: another autoimmune disease needing systemic immunosuppressive/-modulatory treatment."""
    record = facts.record
    title = "Other autoimmune disease needing systemic treatment"
    cid = "exc-4-other-autoimmune"
    if record.other_autoimmune_diseases is None:
        return combine_shared(cid, "exclusion", title, (unknown("other_autoimmune_diseases"),), "any")
    rule = "needs systemic immunosuppressive or immunomodulatory treatment"
    if not record.other_autoimmune_diseases:
        none = (found("other autoimmune diseases", "none", rule, False),)
        return combine_shared(cid, "exclusion", title, none, "any")
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
    return combine(cid, "exclusion", title, findings, "any")


def assess_transplant(facts: RecordFacts) -> CriterionResult:
    """Exclusion 5: major organ, haematopoietic stem cell or bone marrow transplant, ever."""
    record = facts.record
    title = "Major organ or haematopoietic stem cell transplant"
    cid = "exc-5-transplant"
    if record.transplants is None:
        return combine_shared(cid, "exclusion", title, (unknown("transplants"),), "any")
    rule = TRANSPLANT_RULE
    if not record.transplants:
        return combine_shared(cid, "exclusion", title, (found("transplants", "none", rule, False),), "any")
    findings = tuple(
        found(
            "transplant",
            t.kind if t.organ is None else f"{t.organ} ({t.kind})",
            rule,
            t.kind != "organ" or t.organ in MAJOR_ORGANS,
        )
        for t in record.transplants
    )
    return combine(cid, "exclusion", title, findings, "any")


def assess_iga_deficiency(facts: RecordFacts) -> CriterionResult:
    """Exclusion 6: serum IgA < 10 mg/dL at screening."""
    params = facts.params
    title = f"IgA deficiency (serum IgA < {format_limit(params.iga_min_mg_per_dl)} mg/dL)"
    cid = "exc-6-iga-deficiency"
    lab = facts.latest_labs.get(Analyte.IGA)
    if lab is None:
        missing = unknown(missing_lab(Analyte.IGA, params.lab_max_age_days))
        return combine_shared(cid, "exclusion", title, (missing,), "any")
    limit_g_per_l, rule = _iga_limit(params.iga_min_mg_per_dl)
    value = canonical_value(lab)
    finding = found("serum IgA", describe_lab(lab, value), rule, value < limit_g_per_l)
    return combine(cid, "exclusion", title, (finding,), "any")


# Memoised: one protocol limit, converted and phrased once rather than for every record.
@lru_cache(maxsize=64)
def _iga_limit(limit_mg_per_dl: Decimal) -> tuple[Decimal, str]:
    """The IgA limit in g/L (the canonical unit) and the rule that states it."""
    limit_g_per_l = to_canonical(Analyte.IGA, limit_mg_per_dl, "mg/dL")
    return limit_g_per_l, f"< {format_limit(limit_mg_per_dl)} mg/dL (= {format_limit(limit_g_per_l)} g/L)"


EXCLUSION_CRITERIA = (
    assess_severe_nephritis,
    assess_lupus_crisis,
    assess_cns_disease,
    assess_other_autoimmune,
    assess_transplant,
    assess_iga_deficiency,
)
