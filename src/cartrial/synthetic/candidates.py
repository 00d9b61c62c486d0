"""A seeded pool of synthetic screening records that exercises every eligibility criterion.

Each candidate starts from a plausible eligible SLE patient (randomised ages, dates, doses and labs)
and may carry one or two *defects*, each of which targets one criterion (or leaves a datum missing so
the criterion is unknown). The first candidates of a pool take every defect once, in order, so any pool
of at least `len(DEFECTS)` candidates exercises every criterion.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from cartrial.clinical.classification import Acr1997Items
from cartrial.clinical.sledai import Descriptor

Record = dict[str, Any]


def _iso(day: date) -> str:
    return day.isoformat()


def _eligible(rng: random.Random, number: int, site: str, screening: date) -> Record:
    consent = screening - timedelta(days=rng.randint(1, 20))
    age = rng.randint(19, 68)
    birth = date(consent.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
    diagnosis = screening - timedelta(days=rng.randint(400, 4000))
    prednisone_mg = rng.choice([7.5, 10, 12.5, 15, 20, 25, 30])
    steroid_start = screening - timedelta(days=rng.randint(70, 900))
    present = rng.choice(
        [
            ["arthritis", "proteinuria", "rash", "low_complement", "increased_dna_binding"],
            ["arthritis", "haematuria", "alopecia"],
            ["urinary_casts", "proteinuria", "mucosal_ulcers", "low_complement"],
            ["vasculitis", "rash", "low_complement"],
        ]
    )
    descriptors = {d.value: d.value in present for d in Descriptor}
    acr_present = [
        *rng.sample(
            [
                "malar_rash",
                "oral_ulcers",
                "arthritis",
                "proteinuria",
                "leukopenia",
                "anti_dna",
                "photosensitivity",
            ],
            4,
        ),
        "antinuclear_antibody",
    ]
    acr_items = list(Acr1997Items.model_fields)
    lab_day = _iso(screening - timedelta(days=rng.randint(1, 14)))
    return {
        "screening_id": f"{site}-{number:04d}",
        "site_id": site,
        "screening_date": _iso(screening),
        "consent_date": _iso(consent),
        "birth_date": _iso(birth),
        "sex": rng.choice(["female"] * 9 + ["male"]),
        "sle_diagnosis_date": _iso(diagnosis),
        "active_disease_since": _iso(screening - timedelta(days=rng.randint(70, 300))),
        "classification": {"acr1997": {item: item in acr_present for item in acr_items}},
        "sledai": {
            "version": "SELENA-SLEDAI",
            "assessment_date": _iso(screening - timedelta(days=rng.randint(0, 10))),
            "descriptors": descriptors,
        },
        "serology": [
            {
                "test": "ana",
                "positive": True,
                "result_date": lab_day,
                "titre": rng.choice(["1:320", "1:640"]),
            },
            {"test": "anti_dsdna", "positive": rng.random() < 0.7, "result_date": lab_day},
            {"test": "anti_sm", "positive": rng.random() < 0.3, "result_date": lab_day},
        ],
        "medications": [
            {
                "drug": "prednisone",
                "route": "oral",
                "dose": prednisone_mg,
                "dose_unit": "mg",
                "start_date": _iso(steroid_start),
            },
            {
                "drug": rng.choice(
                    ["mycophenolate mofetil", "tacrolimus", "hydroxychloroquine", "azathioprine"]
                ),
                "route": "oral",
                "dose": 500,
                "dose_unit": "mg",
                "times_per_day": 2,
                "start_date": _iso(diagnosis + timedelta(days=30)),
            },
        ],
        "labs": [
            {"test": "creatinine", "value": rng.randint(45, 150), "unit": "umol/L", "result_date": lab_day},
            {
                "test": "urine_protein_24h",
                "value": round(rng.uniform(0.1, 4.5), 2),
                "unit": "g/24h",
                "result_date": lab_day,
            },
            {"test": "iga", "value": round(rng.uniform(0.8, 3.5), 2), "unit": "g/L", "result_date": lab_day},
        ],
        "lupus_nephritis_active": "proteinuria" in present,
        "dialysis": [],
        "lupus_crises": [],
        "cns_disorders": [],
        "other_autoimmune_diseases": [],
        "transplants": [],
    }


def _lab(record: Record, test: str, value: Any, unit: str) -> None:
    day = record["labs"][0]["result_date"]
    record["labs"] = [lab for lab in record["labs"] if lab["test"] != test]
    record["labs"].append({"test": test, "value": value, "unit": unit, "result_date": day})


def _days_before(record: Record, days: int) -> str:
    return _iso(date.fromisoformat(record["screening_date"]) - timedelta(days=days))


def _no_consent(r: Record) -> None:
    r["consent_date"] = None


def _too_young(r: Record) -> None:
    if r["consent_date"] is None:  # an earlier defect removed what this one changes
        return
    consent = date.fromisoformat(r["consent_date"])
    r["birth_date"] = _iso(date(consent.year - 18, consent.month, consent.day) + timedelta(days=1))


def _too_old(r: Record) -> None:
    if r["consent_date"] is None:  # an earlier defect removed what this one changes
        return
    consent = date.fromisoformat(r["consent_date"])
    r["birth_date"] = _iso(date(consent.year - 71, consent.month, min(consent.day, 28)))


def _few_acr_items(r: Record) -> None:
    if r["classification"] is None:  # an earlier defect removed what this one changes
        return
    items = r["classification"]["acr1997"]
    for name in [k for k, v in items.items() if v][3:]:
        items[name] = False


def _acr_not_recorded(r: Record) -> None:
    r["classification"] = None


def _short_history(r: Record) -> None:
    r["sle_diagnosis_date"] = _days_before(r, 120)
    r["active_disease_since"] = _days_before(r, 100)
    r["medications"][1]["start_date"] = _days_before(r, 110)


def _no_steady_regimen(r: Record) -> None:
    r["medications"] = [m | {"start_date": _days_before(r, 40)} for m in r["medications"]]


def _steroid_dose_too_high(r: Record) -> None:
    r["medications"][0]["dose"] = 40


def _steroid_dose_too_low(r: Record) -> None:
    r["medications"][0]["dose"] = 5
    r["medications"][1]["drug"] = "hydroxychloroquine"


def _steroid_dose_changed(r: Record) -> None:
    old = r["medications"][0]
    r["medications"][0] = old | {"stop_date": _days_before(r, 11)}
    r["medications"].append(old | {"dose": 10, "start_date": _days_before(r, 10)})


def _negative_serology(r: Record) -> None:
    for s in r["serology"]:
        s["positive"] = False


def _low_sledai(r: Record) -> None:
    if r["sledai"] is None:  # an earlier defect removed what this one changes
        return
    r["sledai"]["descriptors"] = dict.fromkeys(r["sledai"]["descriptors"], False) | {"arthritis": True}


def _clinical_sledai_below_6(r: Record) -> None:
    if r["sledai"] is None:  # an earlier defect removed what this one changes
        return
    r["sledai"]["descriptors"] = dict.fromkeys(r["sledai"]["descriptors"], False) | {
        "arthritis": True,
        "low_complement": True,
        "increased_dna_binding": True,
    }


def _sledai_not_assessed(r: Record) -> None:
    r["sledai"] = None


def _severe_proteinuria(r: Record) -> None:
    _lab(r, "urine_protein_24h", 7.2, "g/24h")


def _high_creatinine(r: Record) -> None:
    _lab(r, "creatinine", 2.8, "mg/dL")


def _haemodialysis(r: Record) -> None:
    r["dialysis"] = [{"onset_date": _days_before(r, 30)}]


def _high_dose_steroid(r: Record) -> None:
    r["medications"][0] |= {"start_date": _days_before(r, 200), "stop_date": _days_before(r, 71)}
    r["medications"] += [
        {
            "drug": "methylprednisolone",
            "route": "iv",
            "dose": 500,
            "dose_unit": "mg",
            "start_date": _days_before(r, 60),
            "stop_date": _days_before(r, 40),
        },
        {
            "drug": "prednisone",
            "route": "oral",
            "dose": 20,
            "dose_unit": "mg",
            "start_date": _days_before(r, 39),
        },
    ]


def _lupus_crisis(r: Record) -> None:
    r["lupus_crises"] = [{"kind": "severe_thrombocytopenic_purpura", "onset_date": _days_before(r, 40)}]


def _cns_disease(r: Record) -> None:
    r["cns_disorders"] = [{"kind": "epilepsy", "caused_by_lupus": False, "onset_date": "2010-05-01"}]


def _other_autoimmune(r: Record) -> None:
    r["other_autoimmune_diseases"] = [{"name": "rheumatoid arthritis", "needs_systemic_treatment": True}]


def _transplant(r: Record) -> None:
    r["transplants"] = [{"kind": "organ", "organ": "kidney", "transplant_date": "2015-03-01"}]


def _iga_deficiency(r: Record) -> None:
    _lab(r, "iga", 6, "mg/dL")


def _labs_missing(r: Record) -> None:
    r["labs"] = [lab for lab in r["labs"] if lab["test"] != "creatinine"]


def _history_not_taken(r: Record) -> None:
    r["transplants"] = None
    r["cns_disorders"] = None


DEFECTS: tuple[Callable[[Record], None], ...] = (
    _no_consent, _too_young, _too_old, _few_acr_items, _acr_not_recorded, _short_history, _no_steady_regimen,
    _steroid_dose_too_high, _steroid_dose_too_low, _steroid_dose_changed, _negative_serology, _low_sledai,
    _clinical_sledai_below_6, _sledai_not_assessed, _severe_proteinuria, _high_creatinine, _haemodialysis,
    _high_dose_steroid, _lupus_crisis, _cns_disease, _other_autoimmune, _transplant, _iga_deficiency,
    _labs_missing, _history_not_taken,
)  # fmt: skip
# Defects that rewrite the medication history; a candidate gets at most one of them.
MEDICATION_DEFECTS = frozenset(
    {
        _short_history,
        _no_steady_regimen,
        _steroid_dose_too_high,
        _steroid_dose_too_low,
        _steroid_dose_changed,
        _high_dose_steroid,
    }
)
SITES = ("S01", "S02", "S03")


def generate_candidates(
    count: int, seed: int, screening: date, defect_rate: float = 0.6, every_defect_first: bool = True
) -> list[Record]:
    """`count` synthetic screening records; the same seed gives the same pool.

    With `every_defect_first`, candidate k (k <= len(DEFECTS)) carries defect k; the rest are random.
    """
    rng = random.Random(seed)
    pool: list[Record] = []
    for number in range(1, count + 1):
        record = _eligible(rng, number, SITES[number % len(SITES)], screening)
        if every_defect_first and number <= len(DEFECTS):
            DEFECTS[number - 1](record)
        elif rng.random() < defect_rate:
            chosen = rng.sample(DEFECTS, rng.choice([1, 1, 2]))
            if len(chosen) == 2 and MEDICATION_DEFECTS.issuperset(chosen):
                chosen = chosen[:1]
            for defect in chosen:
                defect(record)
        pool.append(record)
    return pool


# The bundled demo pool (src/cartrial/data/demo/screening-pool.jsonl) is this pool.
DEMO_POOL_SIZE = 60
DEMO_SEED = 20261102
DEMO_SCREENING_DATE = date(2026, 11, 2)
