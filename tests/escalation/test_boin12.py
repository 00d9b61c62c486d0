"""BOIN12 (Lin et al. 2020) against the paper's worked trial, as the R package escalation tests it."""

import pytest
from scipy.stats import beta

from cartrial.errors import InputError
from cartrial.escalation import DesignSettings, build_design, parse_outcomes, select_mtd, summarise_outcomes
from cartrial.escalation.designs.boin12 import Boin12

SETTINGS = DesignSettings(design="boin12", n_doses=5, start_dose=1, target=0.35, phi_e=0.25, n_earlystop=12)


def decide(text: str) -> int | None:
    outcomes = summarise_outcomes(parse_outcomes(text, 5, phase_1_2=True), 5)
    return build_design(SETTINGS).decide(outcomes).next_dose


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1NNN 2ENT 3ETT 2EEN", 2),  # Lin et al. 2020, p. 1396
        # Data Supplement, section 6 and Figure S2, cohort by cohort
        ("1NNN", 2),
        ("1NNN 2NNB", 3),
        ("1NNN 2NNB 3NEE", 3),
        ("1NNN 2NNB 3NEE 3NTN", 4),
        ("1NNN 2NNB 3NEE 3NTN 4ETE", 4),
        ("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE", 4),
        ("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN", 5),  # dose exploration: 9 > 8 treated, dose 5 untried
        ("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN", 5),
        ("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT", 4),  # 3/6 >= lambda_d
        ("1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN", None),  # 12 at dose 4: stop
    ],
)
def test_published_trial(text: str, expected: int | None) -> None:
    assert decide(text) == expected


def test_benchmark_and_desirability_by_hand() -> None:
    design = Boin12(5, 1, 0.35, 0.25)
    # u_bar = 100*0.25*0.65 + 40*0.65*0.75 + 60*0.35*0.25 + 0 = 16.25 + 19.5 + 5.25 = 41; u_b = 70.5
    assert design.benchmark == pytest.approx(70.5)
    outcomes = summarise_outcomes(parse_outcomes("1ENT", 5, phase_1_2=True), 5)
    # x = (100 * 1 + 40 * 1 + 0 * 1) / 100 = 1.4 of n = 3
    assert design.desirability(outcomes, 1) == pytest.approx(100 * beta.sf(0.705, 2.4, 2.6))


def test_futile_doses_are_not_admissible() -> None:
    design = Boin12(5, 1, 0.35, 0.25)
    futile = summarise_outcomes(parse_outcomes("1NNNNNNNN", 5, phase_1_2=True), 5)
    # 0 responses in 8: Pr(p_E < 0.25 | Beta(1, 9)) = 1 - 0.75^9 = 0.925 >= 0.9
    assert not design.is_admissible(futile, 1)
    decision = build_design(SETTINGS).decide(futile)
    assert decision.details["admissible"] == [2] and decision.next_dose == 2
    both = summarise_outcomes(parse_outcomes("2NNNNNNNN 1NNNNNNNN", 5, phase_1_2=True), 5)
    assert build_design(SETTINGS).decide(both).stop  # neither neighbour is admissible


def test_bad_settings_and_missing_efficacy() -> None:
    with pytest.raises(InputError, match="u2"):
        Boin12(5, 1, 0.35, 0.25, u2=120)
    with pytest.raises(InputError, match="phi_e"):
        build_design(DesignSettings(design="boin12", n_doses=5, start_dose=1, target=0.35))
    unknown = summarise_outcomes(parse_outcomes("1NNN", 5), 5)
    with pytest.raises(InputError, match="efficacy"):
        build_design(SETTINGS).decide(unknown)


def test_obd_selection_at_the_end_of_the_published_trial() -> None:
    text = "1NNN 2NNB 3NEE 3NTN 4ETE 4NBE 4BNN 5BEN 5NBT 4NEN"
    outcomes = summarise_outcomes(parse_outcomes(text, 5, phase_1_2=True), 5)
    # empiric DLT rates 0/3, 1/3, 1/6, 3/12, 3/6; PAVA pools doses 2-3 to 0.25, so doses 2, 3, 4 tie at
    # 0.10 from 0.35 and the highest, 4, is the MTD; the OBD is the most desirable of doses 1-4.
    design = Boin12(5, 1, 0.35, 0.25)
    scores = [design.desirability(outcomes, d) for d in range(1, 5)]
    assert design.select_obd(outcomes) == scores.index(max(scores)) + 1 == 4
    assert select_mtd(outcomes, SETTINGS).mtd == 4
    nobody = summarise_outcomes(parse_outcomes("", 5, phase_1_2=True), 5)
    assert design.select_obd(nobody) is None
