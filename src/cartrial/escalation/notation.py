"""The compact outcome notation statisticians type: `1NNN 2NTN`.

Each cohort is a dose level (1 = the lowest) followed by one letter per patient: N no DLT, T DLT;
for designs that use efficacy, E efficacy without DLT and B both (the letters of the R package
`escalation`, Brock 2019). Cohorts are separated by spaces or nothing (`1NNN2NTN`).
"""

from __future__ import annotations

import re

from cartrial.errors import InputError
from cartrial.escalation.state import EscalationState, PatientOutcome

# The whole string: optional cohorts, each a positive level then at least one outcome letter.
_NOTATION = re.compile(r"^\s*(?:[1-9]\d*[NTEB]+\s*)*$")
_COHORT = re.compile(r"([1-9]\d*)([NTEB]+)")
_EFFICACY_LETTERS = frozenset("EB")


def parse_outcomes(
    text: str, n_doses: int, field: str = "outcomes", phase_1_2: bool = False
) -> EscalationState:
    """Parse the notation into patients; reject what it cannot read, quoting the input.

    Efficacy is known for every patient when any E or B appears, and unknown (None) otherwise:
    a string of only N/T says nothing about response. With `phase_1_2` (designs that use efficacy,
    as the R package escalation's phase I/II notation) every letter states efficacy: N and T mean
    no response.

    >>> [(p.dose_level, p.dlt) for p in parse_outcomes("2NN 3T", 4).patients]
    [(2, 'no'), (2, 'no'), (3, 'yes')]
    """
    if not _NOTATION.fullmatch(text):
        raise InputError.single(
            field,
            field,
            f"cannot read {text!r}: expected cohorts like '1NNN 2NTN' (dose level from 1, then N/T/E/B)",
        )
    reports_efficacy = phase_1_2 or any(letter in _EFFICACY_LETTERS for letter in text)
    patients: list[PatientOutcome] = []
    for level_text, letters in _COHORT.findall(text):
        level = int(level_text)
        if level > n_doses:
            raise InputError.single(field, field, f"dose level {level} in {text!r} is not in 1..{n_doses}")
        for letter in letters:
            patients.append(
                PatientOutcome(
                    dose_level=level,
                    dlt="yes" if letter in "TB" else "no",
                    efficacy=(letter in _EFFICACY_LETTERS) if reports_efficacy else None,
                )
            )
    return EscalationState(patients=tuple(patients))
