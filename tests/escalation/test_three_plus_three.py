"""The 3+3 rules cohort by cohort (Storer 1989), with the registered protocol's backup level."""

import pytest

from cartrial.data import embedded_protocol
from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, select_mtd, settings_from_protocol

from .helpers import outcomes

REGISTERED = settings_from_protocol(embedded_protocol())


def decide(text: str, settings: DesignSettings = REGISTERED) -> tuple[str, int | None]:
    decision = build_design(settings).decide(outcomes(text, settings.n_doses))
    return decision.action, decision.next_dose


def test_registered_protocol_starts_at_level_2_with_a_backup_below() -> None:
    assert (REGISTERED.design, REGISTERED.n_doses, REGISTERED.start_dose) == ("3+3", 4, 2)
    assert decide("") == ("stay", 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2NNN", ("escalate", 3)),  # 0/3
        ("2NNT", ("stay", 2)),  # 1/3: expand to 6
        ("2NNT 2NNN", ("escalate", 3)),  # 1/6
        ("2NNT 2NNT", ("de-escalate", 1)),  # 2/6 at the start dose: the backup level DL-1
        ("2NTT", ("de-escalate", 1)),  # 2/3 at the start dose
        ("2NNN 3NTT", ("de-escalate", 2)),  # 2/3 above: expand the lower dose (3 patients) to 6
        ("2NNN 3NTT 2NNN", ("stop", None)),  # lower dose 0/6: MTD = 2
        ("2NNN 3NTT 2NNT", ("stop", None)),  # 1/6 at the lower dose: MTD = 2
        ("2NNN 3NTT 2NTT", ("de-escalate", 1)),  # lower dose too toxic too: go further down
        ("2NNN 3NNT 3NNN 4TTN", ("stop", None)),  # dose 3 has 6 already: MTD = 3
        ("2NNN 3NNN 4NNN", ("stay", 4)),  # highest dose 0/3: confirm with 3 more
        ("2NNN 3NNN 4NNN 4NNT", ("stop", None)),  # highest dose 1/6: MTD = 4
        ("2NTT 1NNN", ("stay", 1)),  # DL-1 0/3 with dose 2 too toxic: confirm with 3 more
        ("2NTT 1NNN 1NNN", ("stop", None)),  # MTD = DL-1
        ("2NTT 1NTT", ("stop", None)),  # DL-1 too toxic: no MTD
        ("2NN", ("stay", 2)),  # incomplete cohort
    ],
)
def test_decisions_cohort_by_cohort(text: str, expected: tuple[str, int | None]) -> None:
    assert decide(text) == expected


@pytest.mark.parametrize(
    ("text", "mtd"),
    [
        ("2NNN 3NTT 2NNN", 2),
        ("2NNN 3NNT 3NNN 4TTN", 3),
        ("2NNN 3NNN 4NNN 4NNT", 4),
        ("2NTT 1NNN 1NNN", 1),
        ("2NTT 1NTT", None),
    ],
)
def test_mtd_is_the_highest_dose_with_at_most_one_of_six(text: str, mtd: int | None) -> None:
    decision = build_design(REGISTERED).decide(outcomes(text))
    assert decision.stop
    assert decision.details["mtd"] == mtd
    assert select_mtd(outcomes(text), REGISTERED).mtd == mtd


def test_variant_without_confirming_the_mtd_with_six() -> None:
    quick = DesignSettings(design="3+3", n_doses=4, start_dose=2, confirm_mtd_with_six=False)
    assert decide("2NNN 3NNN 4NNN", quick) == ("stop", None)
    assert decide("2NNN 3NTT", quick) == ("stop", None)
    assert build_design(quick).decide(outcomes("2NNN 3NTT")).details["mtd"] == 2


def test_variant_two_of_six_is_acceptable() -> None:
    lenient = DesignSettings(design="3+3", n_doses=4, start_dose=2, accept_two_of_six=True)
    assert decide("2NNT 2NNT", lenient) == ("stop", None)
    assert build_design(lenient).decide(outcomes("2NNT 2NNT")).details["mtd"] == 2
    assert decide("2NTT", lenient) == ("de-escalate", 1)  # 2/3 is still too toxic
    assert decide("2NNT 2NTT", lenient) == ("de-escalate", 1)  # 3/6 too


def test_no_reentry_into_a_dose_found_too_toxic() -> None:
    # dose 3 was too toxic; dose 2 with 1/6 would escalate but dose 3 is above the MTD: stop.
    assert decide("2NNN 3NTT 2NNT") == ("stop", None)


def test_more_than_six_at_a_dose_is_not_a_3_plus_3() -> None:
    with pytest.raises(InputError, match="at most 6"):
        decide("2NNN 2NNN 2N")
