"""DLT adjudication throughput: subjects adjudicated per second on generated timelines (goal >= 10,000/s).

Run: .venv/bin/python benchmarks/dlt.py [--subjects N] [--seed S]
Each subject gets 0-6 adverse events (CRS, ICANS, cytopenias, other toxicities) with random grade courses;
validation of the input (pydantic, from JSON text) is timed separately from adjudication.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from cartrial.data import embedded_protocol
from cartrial.safety import SubjectSafety, adjudicate_dlt, compile_dlt_rules

INFUSION = datetime(2025, 1, 1, 8, 0)
CATEGORIES = ("crs", "icans", "haematological", "non_haematological", "iec_hs")
TERMS = {
    "crs": ("Cytokine release syndrome",),
    "icans": ("Immune effector cell-associated neurotoxicity syndrome",),
    "haematological": ("Neutrophil count decreased", "Platelet count decreased", "Anemia"),
    "non_haematological": ("Alanine aminotransferase increased", "Nausea", "Fever", "Pneumonitis"),
    "iec_hs": ("IEC-HS",),
}
RELATEDNESS = ("not_related", "unlikely", "possible", "probable", "definite")


def generate_subject(rng: np.random.Generator, index: int) -> dict[str, Any]:
    """One subject's record with random adverse-event timelines inside a 0-40-day follow-up."""
    evaluation = INFUSION + timedelta(hours=float(rng.uniform(24, 40 * 24)))
    events = []
    for number in range(int(rng.integers(0, 7))):
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        onset = INFUSION + timedelta(hours=float(rng.uniform(-72, 30 * 24)))
        at, grades = onset, []
        for _ in range(int(rng.integers(1, 5))):
            if at >= evaluation:
                break
            grades.append({"at": at.isoformat(), "grade": int(rng.integers(1, 5))})
            at += timedelta(hours=float(rng.uniform(6, 240)))
        if not grades:
            continue
        resolution = at.isoformat() if at < evaluation and rng.random() < 0.6 else None
        events.append(
            {
                "id": f"AE{number}",
                "term": TERMS[category][int(rng.integers(len(TERMS[category])))],
                "category": category,
                "onset": grades[0]["at"],
                "grades": grades,
                "resolution": resolution,
                "serious": bool(rng.random() < 0.2),
                "related_to_product": RELATEDNESS[int(rng.integers(len(RELATEDNESS)))],
                "related_to_lymphodepletion": "possible",
            }
        )
    return {
        "subject_id": f"S{index:06d}",
        "dose_level": int(rng.integers(1, 5)),
        "infused_at_assigned_dose": bool(rng.random() < 0.95),
        "infusion_at": INFUSION.isoformat(),
        "evaluation_at": evaluation.isoformat(),
        "adverse_events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20250101)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    # The records as the API and the CLI read them: JSON text (the safety record is parsed strictly, and
    # only from JSON is a date-time's ISO text read as one).
    texts = [json.dumps(generate_subject(rng, index)) for index in range(args.subjects)]
    rules = compile_dlt_rules(embedded_protocol().dlt)

    started = time.perf_counter()
    subjects = [SubjectSafety.model_validate_json(text) for text in texts]
    validated = time.perf_counter()
    results = [adjudicate_dlt(subject, rules) for subject in subjects]
    adjudicated = time.perf_counter()

    events = sum(len(subject.adverse_events) for subject in subjects)
    statuses = {status: sum(r.status == status for r in results) for status in ("dlt", "no_dlt", "pending")}
    adjudication_rate = len(subjects) / (adjudicated - validated)
    end_to_end_rate = len(subjects) / (adjudicated - started)
    print(f"subjects: {len(subjects)}  adverse events: {events}  outcomes: {statuses}")
    print(f"adjudication: {adjudication_rate:,.0f} subjects/s (goal >= 10,000/s)")
    print(f"validation + adjudication: {end_to_end_rate:,.0f} subjects/s")


if __name__ == "__main__":
    main()
