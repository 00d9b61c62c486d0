"""What the criteria share, derived once: from the protocol's parameters, the texts that quote them
(`CriteriaPlan`, once per protocol); from a record, the latest lab of each test in the screening window,
the medication facts and the glucocorticoid dose over time (`RecordFacts`, once per record); and phrasing
dates, amounts and labs, memoised on the values that determine the text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from cartrial.clinical.formulary import DrugClass, drug_class, generic_name
from cartrial.clinical.units import Analyte, display_unit, format_decimal, to_canonical
from cartrial.eligibility.record import LabResult, Medication, ScreeningRecord
from cartrial.eligibility.regimen import (
    DoseSegment,
    glucocorticoid_segments,
    is_standard_regimen_drug,
    is_systemic,
)
from cartrial.protocol import EligibilityParameters

# Memoised: a date is written the same way every time, and a record's few dates recur in several
# evidence texts and across records (`date.isoformat` costs more than the look-up).
iso_date = lru_cache(maxsize=8192)(date.isoformat)


@dataclass(frozen=True, slots=True)
class CriteriaPlan:
    """What the criteria derive from the protocol alone, derived once per protocol rather than per record:
    titles, rules and missing-data texts that quote the protocol's numbers, and its drug lists as sets."""

    age_title: str
    age_rule: str
    history_rule: str
    active_rule: str
    regimen_rule: str
    standard_regimen_drugs: frozenset[str]
    immunomodulators: frozenset[str]
    """Immunosuppressants, and biologics where they count as immunomodulators."""
    dose_rule_with_immunosuppressant: str
    dose_rule: str
    dose_table: str
    treatment_rule: str
    stable_rule: str
    serology_missing: tuple[tuple[str, str], ...]
    """Each accepted autoantibody with the text that names it missing."""
    missing_labs: Mapping[Analyte, str]
    lab_window: timedelta
    sledai_window: timedelta
    high_dose_window: timedelta
    crisis_window: timedelta
    proteinuria_rule: str
    creatinine_rule_molar: str
    creatinine_rule_mass: str
    episode_rule: str
    """Dialysis: ongoing or within the high-dose look-back."""
    crisis_rule: str
    high_dose_threshold: str
    high_dose_rule: str
    iga_title: str
    iga_limit_g_per_l: Decimal
    iga_rule: str


def plan_criteria(params: EligibilityParameters) -> CriteriaPlan:
    p = params
    minimum, maximum = (
        format_decimal(p.prednisone_min_mg_per_day),
        format_decimal(p.prednisone_max_mg_per_day),
    )
    iga_limit = to_canonical(Analyte.IGA, p.iga_min_mg_per_dl, "mg/dL")
    lab_days = p.lab_max_age_days
    return CriteriaPlan(
        age_title=f"Age {p.age_min_years}-{p.age_max_years} years at ICF signature",
        age_rule=f"{p.age_min_years} <= age <= {p.age_max_years}",
        history_rule=f">= {p.sle_history_min_months} calendar months before screening",
        active_rule=f">= {p.disease_active_min_months} calendar months before screening",
        regimen_rule=(
            f"a standard-regimen drug taken steadily for >= {p.standard_regimen_min_months} calendar months"
            " up to screening"
        ),
        standard_regimen_drugs=frozenset(p.standard_regimen_drugs),
        immunomodulators=frozenset(
            p.immunosuppressants + p.biologics
            if p.biologics_count_as_immunomodulators
            else p.immunosuppressants
        ),
        dose_rule_with_immunosuppressant=f"<= {maximum} mg/day (no minimum with an immunosuppressant)",
        dose_rule=f"{minimum} to {maximum} mg/day",
        dose_table=f" mg/day ({p.glucocorticoid_table} table)",
        treatment_rule=f">= {p.steroid_min_treatment_days} days before screening",
        stable_rule=f">= {p.steroid_stable_min_days} days (> 2 weeks)",
        serology_missing=tuple(
            (test, f"serology: {test} dated within {lab_days} days before screening")
            for test in p.accepted_autoantibodies
        ),
        missing_labs={analyte: missing_lab(analyte, lab_days) for analyte in Analyte},
        lab_window=timedelta(days=lab_days),
        sledai_window=timedelta(days=p.sledai_assessment_max_age_days),
        high_dose_window=timedelta(days=p.high_dose_lookback_days),
        crisis_window=timedelta(days=p.lupus_crisis_lookback_days),
        proteinuria_rule=f"> {format_decimal(p.proteinuria_max_g_per_24h)} g/24 h",
        creatinine_rule_molar=f"> {format_decimal(p.creatinine_max_umol_per_l)} µmol/L",
        creatinine_rule_mass=f"> {format_decimal(p.creatinine_max_mg_per_dl)} mg/dL",
        episode_rule=f"ongoing or within {p.high_dose_lookback_days} days before screening",
        crisis_rule=f"ongoing or within {p.lupus_crisis_lookback_days} days before screening",
        high_dose_threshold=format_decimal(p.high_dose_prednisone_mg_per_day),
        high_dose_rule=(
            f">= {p.high_dose_min_days} days in the {p.high_dose_lookback_days} days before screening"
        ),
        iga_title=f"IgA deficiency (serum IgA < {format_decimal(p.iga_min_mg_per_dl)} mg/dL)",
        iga_limit_g_per_l=iga_limit,
        iga_rule=f"< {format_decimal(p.iga_min_mg_per_dl)} mg/dL (= {format_decimal(iga_limit)} g/L)",
    )


# Memoised (a hit costs a hash of the parameters, about 1 µs); a batch derives its plan once.
criteria_plan = lru_cache(maxsize=64)(plan_criteria)


class RecordFacts(NamedTuple):
    """A record with what the criteria derive from it, each derived once.

    The `*_first` dates open the protocol's look-back windows (the first day of the window, inclusive).
    `latest_labs` holds, per test, the most recent result dated within the lab window (the first listed
    on a tie). From the medications (none when `record.medications` is not given), in one pass:
    `generic_names` follows the list; `glucocorticoids` are the systemic glucocorticoid periods started
    by the screening date, with their index in the list, and `on_oral_glucocorticoid` whether one of
    them is oral and ongoing at screening; `on_immunomodulator` whether an immunosuppressant (or a
    biologic, where they count) is taken on the screening date; `regimen_periods` the (generic name,
    start, stop) of the standard-regimen drugs (glucocorticoids only by a systemic route). A drug's
    course covers a day exactly when one of its periods does (a course is the union of periods that
    touch), so the periods are read directly. `steroid_segments` is the prednisone-equivalent dose from
    the first systemic glucocorticoid dose up to the screening date, over every such period with a known
    dose.
    """

    record: ScreeningRecord
    params: EligibilityParameters
    plan: CriteriaPlan
    lab_first: date
    high_dose_first: date
    latest_labs: Mapping[Analyte, LabResult]
    generic_names: tuple[str, ...]
    glucocorticoids: tuple[tuple[int, Medication], ...]
    on_oral_glucocorticoid: bool
    on_immunomodulator: bool
    regimen_periods: list[tuple[str, date, date | None]]
    steroid_segments: tuple[DoseSegment, ...]


def derive_facts(record: ScreeningRecord, params: EligibilityParameters, plan: CriteriaPlan) -> RecordFacts:
    screening = record.screening_date
    immunomodulators, standard = plan.immunomodulators, plan.standard_regimen_drugs
    biologics_count = params.biologics_count_as_immunomodulators
    names: list[str] = []
    glucocorticoids: list[tuple[int, Medication]] = []
    regimen_periods: list[tuple[str, date, date | None]] = []
    on_oral = on_immunomodulator = False
    # One pass over the medications for what four criteria read (it runs for every record screened).
    for i, m in enumerate(record.medications or ()):
        name, cls = drug_facts(m.drug)
        names.append(name)
        start, stop = m.start_date, m.stop_date
        ongoing = start <= screening and (stop is None or stop >= screening)
        systemic = is_systemic(name, m.route)
        if systemic and start <= screening:
            glucocorticoids.append((i, m))
            on_oral = on_oral or (ongoing and m.route == "oral")
        on_immunomodulator = on_immunomodulator or (ongoing and name in immunomodulators)
        if (cls is not DrugClass.CORTICOSTEROID or systemic) and is_standard_regimen_drug(
            name, cls, standard, biologics_count
        ):
            regimen_periods.append((name, start, stop))
    lab_first = screening - plan.lab_window
    return tuple.__new__(
        RecordFacts,
        (
            record,
            params,
            plan,
            lab_first,
            screening - plan.high_dose_window,
            _latest_labs(record.labs, lab_first) if record.labs else {},
            tuple(names),
            tuple(glucocorticoids),
            on_oral,
            on_immunomodulator,
            regimen_periods,
            glucocorticoid_segments([m for _, m in glucocorticoids], screening, params.glucocorticoid_table)
            if glucocorticoids
            else (),
        ),
    )


# Memoised: sites write few distinct drug names, and every medication of every record is looked up.
@lru_cache(maxsize=4096)
def drug_facts(drug: str) -> tuple[str, DrugClass]:
    """A drug as written: its generic name and its class."""
    generic = generic_name(drug)
    return generic, drug_class(generic)


def _latest_labs(labs: tuple[LabResult, ...], first: date) -> dict[Analyte, LabResult]:
    latest: dict[Analyte, LabResult] = {}
    for lab in labs:
        if lab.result_date >= first:
            current = latest.get(lab.test)
            if current is None or lab.result_date > current.result_date:
                latest[lab.test] = lab
    return latest


def medications_with_names(facts: RecordFacts) -> zip[tuple[Medication, str]]:
    """Each medication of the record with its generic name."""
    return zip(facts.record.medications or (), facts.generic_names, strict=True)


# Memoised on the reported value, unit and test, which determine the text and the conversion: equal
# non-zero decimals (6, 6.0) are written alike after `normalize`, so they share an entry exactly. Zero
# is not memoised: 0 and -0 are equal but written differently.
@lru_cache(maxsize=4096)
def _lab_reading(test: Analyte, value: Decimal, unit: str) -> tuple[Decimal, str]:
    canonical = to_canonical(test, value, unit)
    return canonical, _describe_value(test, value, unit, canonical)


def _describe_value(test: Analyte, value: Decimal, unit: str, canonical: Decimal) -> str:
    reported = f"{format_decimal(value)} {unit}"
    shown_unit = display_unit(test)
    if unit.replace("u", "µ") == shown_unit or unit == shown_unit:
        return reported
    return f"{reported} (= {format_decimal(canonical)} {shown_unit})"


def read_lab(lab: LabResult) -> tuple[Decimal, str]:
    """The lab's value in its canonical unit, and '230 µmol/L on 2026-11-01': as reported, then
    converted where the unit differs."""
    value = lab.value
    if value:
        canonical, text = _lab_reading(lab.test, value, lab.unit)
    else:
        canonical = to_canonical(lab.test, value, lab.unit)
        text = _describe_value(lab.test, value, lab.unit, canonical)
    return canonical, f"{text} on {iso_date(lab.result_date)}"


# Memoised for non-zero amounts, which equal amounts (30, 30.0, 3E+1) share exactly: `format_decimal`
# writes them alike. Zero is not: 0 and -0 are equal but written differently.
@lru_cache(maxsize=1024)
def _format_nonzero(amount: Decimal) -> str:
    return format_decimal(amount)


def format_amount(amount: Decimal) -> str:
    """`format_decimal`, memoised: the same doses and limits are phrased for record after record."""
    return _format_nonzero(amount) if amount else format_decimal(amount)


def missing_lab(analyte: Analyte, max_age_days: int) -> str:
    return f"labs: {analyte.value} dated within {max_age_days} days before screening"
