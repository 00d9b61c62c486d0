"""The corpus the golden screening results were recorded on: generated pools, their seeded variations
and protocol variants, rebuilt the same way on every run (every input is seeded).

`python tests/eligibility/golden_corpus.py` rewrites tests/eligibility/data/golden_screening.json.gz
from the engine as it is: run it only when a change of results is intended and reviewed.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cartrial.clinical.classification import Acr1997Items, EularAcr2019Items, Slicc2012Items
from cartrial.data import embedded_protocol
from cartrial.demo.study_run import DEMO_POOL_SIZE, DEMO_STUDY_SEED, STUDY_START
from cartrial.eligibility import ScreeningRecord, parse_screening_record
from cartrial.errors import InputError
from cartrial.protocol import Protocol
from cartrial.synthetic.candidates import generate_candidates

GOLDEN = Path(__file__).parent / "data" / "golden_screening.json.gz"
EXAMPLE = Path(__file__).parents[2] / "examples" / "screening" / "eligible.json"
TODAY = date(2026, 11, 25)
# Records whose full result is stored beside its hash (the first of each source), so that a mismatch
# can be read, not only detected.
FULL_RESULTS_PER_SOURCE = 3

Record = dict[str, Any]
Mutation = Callable[[random.Random, Record], None]


def _day(record: Record, days_before: int) -> str:
    return (date.fromisoformat(record["screening_date"]) - timedelta(days=days_before)).isoformat()


def _lab_units(rng: random.Random, r: Record) -> None:
    day = _day(r, rng.randint(0, 40))
    r["labs"] = [
        *(r["labs"] or []),
        rng.choice(
            [
                {"test": "creatinine", "value": round(rng.uniform(0.4, 3.5), 2), "unit": "mg/dL"},
                {"test": "creatinine", "value": rng.randint(40, 300), "unit": "µmol/L"},
                {"test": "iga", "value": rng.choice([5, 9.99, 10, 10.01, 150]), "unit": "mg/dL"},
                {"test": "iga", "value": round(rng.uniform(0.05, 0.2), 3), "unit": "g/L"},
                {"test": "urine_protein_24h", "value": rng.choice([5000, 6000, 6001]), "unit": "mg/24h"},
                {"test": "urine_protein_24h", "value": rng.choice([6, 6.0, 6.01]), "unit": "g/day"},
                {"test": "c3", "value": 0.6, "unit": "g/L"},
            ]
        )
        | {"result_date": day},
    ]


def _labs_gone(rng: random.Random, r: Record) -> None:
    r["labs"] = rng.choice([None, [], [lab for lab in r["labs"] or [] if rng.random() < 0.5]])


def _episodes(rng: random.Random, r: Record) -> None:
    def episode() -> Record:
        onset = rng.randint(0, 400)
        end = rng.choice([None, rng.randint(0, onset)])
        return {"onset_date": _day(r, onset)} | ({} if end is None else {"end_date": _day(r, end)})

    field = rng.choice(["dialysis", "lupus_crises", "cns_disorders"])
    entries: list[Record] | None = [episode() for _ in range(rng.randint(0, 2))]
    if field == "lupus_crises":
        kinds = ["active_cns_lupus", "severe_vasculitis", "other"]
        entries = [e | {"kind": rng.choice(kinds)} for e in entries or []]
    elif field == "cns_disorders":
        entries = [
            e
            | {
                "kind": rng.choice(["epilepsy", "psychosis", "stroke", "other"]),
                "caused_by_lupus": rng.choice([True, False, None]),
                "clinically_significant": rng.random() < 0.7,
            }
            for e in entries or []
        ]
    r[field] = rng.choice([None, entries, entries])


def _history(rng: random.Random, r: Record) -> None:
    r["other_autoimmune_diseases"] = rng.choice(
        [
            None,
            [],
            [{"name": "Sjögren syndrome", "needs_systemic_treatment": rng.choice([True, False, None])}],
        ]
    )
    r["transplants"] = rng.choice(
        [
            None,
            [],
            [{"kind": "organ", "organ": rng.choice(["other", "liver"])}],
            [{"kind": rng.choice(["bone_marrow", "haematopoietic_stem_cell"])}],
        ]
    )


def _serology(rng: random.Random, r: Record) -> None:
    if rng.random() < 0.2:
        r["serology"] = None
        return
    r["serology"] = [
        s | {"result_date": _day(r, rng.choice([1, 28, 29, 60])), "positive": rng.random() < 0.5}
        for s in r["serology"] or []
        if rng.random() < 0.8
    ]


def _sledai(rng: random.Random, r: Record) -> None:
    if r["sledai"] is None:
        return
    sledai = r["sledai"]
    sledai["version"] = rng.choice(["SELENA-SLEDAI", "SELENA-SLEDAI", "SLEDAI-2K"])
    sledai["assessment_date"] = _day(r, rng.choice([0, 28, 29]))
    descriptors = sledai["descriptors"]
    for name in rng.sample(sorted(descriptors), rng.randint(0, 4)):
        descriptors[name] = rng.choice([True, False, None])
        if descriptors[name] is None and rng.random() < 0.5:
            del descriptors[name]


def _classification(rng: random.Random, r: Record) -> None:
    def items(model: type[Acr1997Items | Slicc2012Items | EularAcr2019Items]) -> Record:
        return {
            name: rng.choice([True, True, False, None]) for name in model.model_fields if rng.random() < 0.8
        }

    r["classification"] = {
        "acr1997": items(Acr1997Items),
        "slicc2012": items(Slicc2012Items),
        "eular_acr2019": items(EularAcr2019Items),
    }


def _medications(rng: random.Random, r: Record) -> None:
    if rng.random() < 0.1:
        r["medications"] = None
        return
    start = rng.randint(1, 300)
    stop = rng.choice([None, rng.randint(0, start)])
    dosed = rng.random() < 0.85
    drug = rng.choice(
        [
            ("dexamethasone", "iv", 20, "mg"),
            ("prednisolone", "oral", 10, "mg"),
            ("methylprednisolone", "im", 40000, "ug"),
            ("betamethasone", "oral", 1.5, "mg"),
            ("hydrocortisone", "topical", 10, "mg"),
            ("MMF", "oral", 1, "g"),
            (" Ciclosporin ", "oral", 100, "mg"),
            ("belimumab", "iv", 10, "mg"),
            ("rituximab", "iv", 1, "g"),
            ("cyclophosphamide", "iv", 500, "mg"),
            ("ibuprofen", "oral", 400, "mg"),
            ("vitamin D", "oral", 1, "mg"),
        ]
    )
    medication: Record = {"drug": drug[0], "route": drug[1], "start_date": _day(r, start)}
    if dosed:
        medication |= {"dose": drug[2], "dose_unit": drug[3]}
    if rng.random() < 0.3:
        medication |= {"times_per_day": rng.choice([2, 3]), "every_n_days": rng.choice([1, 2])}
    if stop is not None:
        medication["stop_date"] = _day(r, stop)
    r["medications"] = [*(r["medications"] or []), medication]
    r["lupus_nephritis_active"] = rng.choice([True, False, None])


def _dates_gone(rng: random.Random, r: Record) -> None:
    for name in rng.sample(["consent_date", "birth_date", "sle_diagnosis_date", "active_disease_since"], 2):
        r[name] = None


MUTATIONS: tuple[Mutation, ...] = (
    _lab_units, _labs_gone, _episodes, _history, _serology, _sledai, _classification, _medications,
    _dates_gone,
)  # fmt: skip


def mutated_pool(count: int, seed: int, screening: date) -> list[Record]:
    """A generated pool with each record varied by one to three seeded mutations."""
    rng = random.Random(seed)
    pool = generate_candidates(count, seed, screening)
    for record in pool:
        for mutation in rng.sample(MUTATIONS, rng.randint(1, 3)):
            mutation(rng, record)
    return pool


def protocol_variants() -> dict[str, Protocol]:
    """The registered protocol and variants that take the criteria's other branches."""
    protocol = embedded_protocol()

    def variant(**update: object) -> Protocol:
        return protocol.model_copy(update={"eligibility": protocol.eligibility.model_copy(update=update)})

    return {
        "registered": protocol,
        "slicc-us-strict": variant(
            classification_criteria="SLICC2012",
            glucocorticoid_table="US",
            no_oral_steroid_meets_steroid_criterion=False,
            biologics_count_as_immunomodulators=False,
            prohibited_nephritis_drugs=("cyclophosphamide", "mycophenolate mofetil"),
        ),
        "eular-dsdna": variant(
            classification_criteria="EULAR_ACR2019", accepted_autoantibodies=("anti_dsdna",)
        ),
    }


def corpus() -> Iterator[tuple[str, str, ScreeningRecord]]:
    """(source, protocol variant, record) for every record of the corpus, in a fixed order.

    Mutated records that break a date rule (an end before an onset) are left out, as the parser rejects
    them."""
    sources: list[tuple[str, list[Record]]] = [
        ("example", [json.loads(EXAMPLE.read_text())]),
        ("demo-pool", generate_candidates(DEMO_POOL_SIZE, DEMO_STUDY_SEED, STUDY_START.date())),
    ]
    sources += [(f"pool-{seed}", generate_candidates(300, seed, date(2026, 11, 2))) for seed in (1, 2)]
    sources += [(f"mutated-{seed}", mutated_pool(600, seed, date(2026, 10, 31))) for seed in (11, 12, 13)]
    for name in protocol_variants():
        for source, records in sources:
            for record in records:
                try:
                    parsed = parse_screening_record(json.dumps(copy.deepcopy(record)), source, TODAY)
                except InputError:
                    continue
                yield source, name, parsed


def digest(result: dict[str, object]) -> str:
    """A short fingerprint of one result (64 bits: a change goes unnoticed with odds of 1 in 2^64)."""
    return hashlib.sha256(json.dumps(result, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def main() -> None:
    from cartrial.eligibility import screen
    from cartrial.eligibility.result import result_as_dict

    protocols = protocol_variants()
    hashes: list[str] = []
    full: dict[str, dict[str, object]] = {}
    seen: dict[tuple[str, str], int] = {}
    for index, (source, name, record) in enumerate(corpus()):
        result = result_as_dict(screen(record, protocols[name]))
        hashes.append(digest(result))
        count = seen.get((source, name), 0)
        if count < FULL_RESULTS_PER_SOURCE:
            full[str(index)] = result
        seen[(source, name)] = count + 1
    GOLDEN.parent.mkdir(exist_ok=True)
    text = json.dumps({"hashes": hashes, "full": full}, ensure_ascii=False, sort_keys=True)
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as out:  # no time stamp: the same results, the same bytes
        out.write(text.encode())
    print(f"{len(hashes)} results recorded in {GOLDEN}")


if __name__ == "__main__":
    main()
