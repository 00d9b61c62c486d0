import json

import pytest

from cartrial.eligibility import parse_screening_record
from cartrial.errors import InputError
from tests.eligibility.conftest import TODAY, Record, parse


def fields(record: Record | str) -> set[str]:
    text = record if isinstance(record, str) else json.dumps(record)
    with pytest.raises(InputError) as exc:
        parse_screening_record(text, "rec.json", TODAY)
    assert "rec.json" in str(exc.value)
    return {e.field for e in exc.value.errors}


def test_malformed_json_is_rejected() -> None:
    assert fields('{"screening_id": "A",') == {"(top level)"}


def test_unknown_unit_names_the_lab(base: Record) -> None:
    base["labs"][0]["unit"] = "furlongs"
    assert fields(base) == {"labs.0"}


def test_wrong_dimension_names_the_lab(base: Record) -> None:
    base["labs"][1]["unit"] = "mg/mg"  # a ratio is not a 24-h protein
    assert fields(base) == {"labs.1"}


def test_negative_dose_and_unknown_key(base: Record) -> None:
    base["medications"][0]["dose"] = -5
    base["surprise"] = 1
    assert fields(base) == {"medications.0.dose", "surprise"}


def test_screening_before_consent(base: Record) -> None:
    base["consent_date"] = "2026-11-03"
    assert fields(base) == {"consent_date"}


def test_future_and_impossible_dates(base: Record) -> None:
    base["screening_date"] = "2026-11-26"
    assert "screening_date" in fields(base)
    base["screening_date"] = "2026-02-30"
    assert fields(base) == {"screening_date"}


def test_facts_after_screening_are_named(base: Record) -> None:
    base["labs"][2]["result_date"] = "2026-11-03"
    base["sledai"]["assessment_date"] = "2026-11-04"
    assert fields(base) == {"labs.2.result_date", "sledai.assessment_date"}


def test_every_dated_fact_after_screening_is_named_in_record_order(base: Record) -> None:
    late = "2026-11-05"  # screening is 2026-11-02
    base["sle_diagnosis_date"] = base["active_disease_since"] = base["sledai"]["assessment_date"] = late
    for field in ("serology", "labs"):
        base[field][-1]["result_date"] = late
    base["medications"][1]["start_date"] = late
    base["medications"][1].pop("stop_date", None)
    base["dialysis"] = [{"onset_date": late}]
    base["lupus_crises"] = [
        {"kind": "other", "onset_date": "2026-01-01"},
        {"kind": "other", "onset_date": late},
    ]
    base["cns_disorders"] = [{"kind": "stroke", "caused_by_lupus": False, "onset_date": late}]
    with pytest.raises(InputError) as exc:
        parse_screening_record(json.dumps(base), "rec.json", TODAY)
    assert [e.field for e in exc.value.errors] == [
        "sle_diagnosis_date",
        "active_disease_since",
        "sledai.assessment_date",
        f"serology.{len(base['serology']) - 1}.result_date",
        f"labs.{len(base['labs']) - 1}.result_date",
        "medications.1.start_date",
        "dialysis.0.onset_date",
        "lupus_crises.1.onset_date",
        "cns_disorders.0.onset_date",
    ]
    assert exc.value.errors[0].reason == f"{late} is after the screening date 2026-11-02"


def test_birth_after_consent(base: Record) -> None:
    base["birth_date"] = "2026-10-21"
    assert fields(base) == {"birth_date"}


def test_stop_before_start(base: Record) -> None:
    base["medications"][0]["stop_date"] = "2020-01-01"
    assert fields(base) == {"medications.0"}


def test_valid_record_parses(base: Record) -> None:
    assert parse(base).screening_id == "S01-0001"
