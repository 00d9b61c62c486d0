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
