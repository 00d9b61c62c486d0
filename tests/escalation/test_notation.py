import pytest

from cartrial.errors import InputError
from cartrial.escalation import EscalationState, PatientOutcome, parse_outcomes, summarise_outcomes


def test_levels_count_from_one_and_letters_map_to_dlts() -> None:
    state = parse_outcomes("2NNN 3NTN", 4)
    assert [(p.dose_level, p.dlt) for p in state.patients] == [
        (2, "no"),
        (2, "no"),
        (2, "no"),
        (3, "no"),
        (3, "yes"),
        (3, "no"),
    ]
    assert all(p.efficacy is None for p in state.patients)
    counts = summarise_outcomes(state, 4)
    assert counts.treated == (0, 3, 3, 0)
    assert counts.dlts == (0, 0, 1, 0)
    assert counts.current_dose == 3


def test_cohorts_without_spaces_and_the_empty_string() -> None:
    assert len(parse_outcomes("1NNN2NTN", 2).patients) == 6
    assert parse_outcomes("", 2).patients == ()
    assert parse_outcomes("  ", 2).patients == ()


def test_efficacy_letters_make_efficacy_known_for_everyone() -> None:
    state = parse_outcomes("1NEB 2T", 2)
    assert [(p.dlt, p.efficacy) for p in state.patients] == [
        ("no", False),
        ("no", True),
        ("yes", True),
        ("yes", False),
    ]


@pytest.mark.parametrize("text", ["0NNN", "1NNX", "NNN", "1", "1NNN 2", "-1NNN", "1nnn", "1.5NN"])
def test_unreadable_input_is_rejected_quoting_it(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_outcomes(text, 4)
    assert repr(text) in str(info.value)


def test_dose_level_above_the_last_is_rejected() -> None:
    with pytest.raises(InputError, match="dose level 5"):
        parse_outcomes("1NNN 5NNN", 4)


def test_state_with_unknown_dose_level_names_the_patient() -> None:
    state = EscalationState(
        patients=(PatientOutcome(dose_level=1, dlt="no"), PatientOutcome(dose_level=7, dlt="no"))
    )
    with pytest.raises(InputError) as info:
        summarise_outcomes(state, 4)
    assert info.value.errors[0].field == "patients[1].dose_level"


def test_pending_patients_are_not_counted_as_without_dlt() -> None:
    state = EscalationState(
        patients=(
            PatientOutcome(dose_level=2, dlt="no", followup_days=28),
            PatientOutcome(dose_level=2, dlt="pending", followup_days=10),
        )
    )
    counts = summarise_outcomes(state, 4)
    assert counts.treated == (0, 1, 0, 0)
    assert counts.pending == (0, 1, 0, 0)
    assert counts.total_treated == 2


def test_backfill_mark_before_the_level_marks_a_backfill_cohort() -> None:
    state = parse_outcomes("2NNN b1NT 3NTN", 4, backfill=True)
    assert [(p.dose_level, p.dlt, p.backfill) for p in state.patients] == [
        (2, "no", False),
        (2, "no", False),
        (2, "no", False),
        (1, "no", True),
        (1, "yes", True),
        (3, "no", False),
        (3, "yes", False),
        (3, "no", False),
    ]
    counts = summarise_outcomes(state, 4)
    # Pooled at their dose; the current dose is the last escalation cohort's.
    assert (counts.treated, counts.dlts, counts.current_dose) == ((2, 3, 3, 0), (1, 0, 1, 0), 3)
    # Without spaces, and after an efficacy letter B (a capital B is a patient, a small b a mark).
    marked = parse_outcomes("2NNBb1N", 4, backfill=True)
    assert [(p.dose_level, p.dlt, p.backfill) for p in marked.patients][-2:] == [
        (2, "yes", False),
        (1, "no", True),
    ]


def test_a_backfill_mark_is_refused_by_designs_without_backfill() -> None:
    with pytest.raises(InputError, match="'b1NT' in '2NNN b1NT' is a backfill cohort") as info:
        parse_outcomes("2NNN b1NT", 4)
    assert info.value.errors[0].field == "outcomes"


@pytest.mark.parametrize(
    ("text", "where"),
    [("b1NN 2NNN", "no escalation cohort"), ("2NNN b2NN", "dose 2"), ("2NNN b3NN", "dose 2")],
)
def test_a_backfill_cohort_must_lie_below_the_escalation_cohort_before_it(text: str, where: str) -> None:
    with pytest.raises(InputError, match=f"must lie below the escalation cohort before it \\({where}\\)"):
        parse_outcomes(text, 4, backfill=True)


@pytest.mark.parametrize("text", ["B1NN", "bb1NN", "2NNN b 1NN", "2NNN 1bNN"])
def test_malformed_backfill_marks_are_unreadable(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_outcomes(text, 4, backfill=True)
    assert repr(text) in str(info.value)
