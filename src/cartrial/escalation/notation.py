"""The compact outcome notation statisticians type: `1NNN 2NTN`, with backfill cohorts `b1NN`.

Each cohort is a dose level (1 = the lowest) followed by one letter per patient: N no DLT, T DLT;
for designs that use efficacy, E efficacy without DLT and B both (the letters of the R package
`escalation`, Brock 2019). Cohorts are separated by spaces or nothing (`1NNN2NTN`). A lowercase `b`
before the level marks a backfill cohort (BF-BOIN, Zhao et al. 2024): `2NNN b1NN 3NTN` is an
escalation cohort at 2, two backfill patients at 1 treated while it was followed, then an
escalation cohort at 3.
"""

from __future__ import annotations

import re

from cartrial.errors import InputError
from cartrial.escalation.state import EscalationState, PatientOutcome

BACKFILL_MARK = "b"
# The whole string: optional cohorts, each an optional backfill mark, a positive level, then at
# least one outcome letter.
_NOTATION = re.compile(rf"^\s*(?:{BACKFILL_MARK}?[1-9]\d*[NTEB]+\s*)*$")
_COHORT = re.compile(rf"({BACKFILL_MARK}?)([1-9]\d*)([NTEB]+)")
_EFFICACY_LETTERS = frozenset("EB")


def parse_outcomes(
    text: str, n_doses: int, field: str = "outcomes", phase_1_2: bool = False, backfill: bool = False
) -> EscalationState:
    """Parse the notation into patients; reject what it cannot read, quoting the input.

    Efficacy is known for every patient when any E or B appears, and unknown (None) otherwise:
    a string of only N/T says nothing about response. With `phase_1_2` (designs that use efficacy,
    as the R package escalation's phase I/II notation) every letter states efficacy: N and T mean
    no response.

    Backfill cohorts (`b` before the level) are accepted only with `backfill` (a design with
    backfill cohorts); each must follow an escalation cohort and lie below its dose, since backfill
    patients are treated at lower doses while the escalation cohort is followed.

    >>> [(p.dose_level, p.dlt) for p in parse_outcomes("2NN 3T", 4).patients]
    [(2, 'no'), (2, 'no'), (3, 'yes')]
    >>> [(p.dose_level, p.backfill) for p in parse_outcomes("2N b1N", 4, backfill=True).patients]
    [(2, False), (1, True)]
    """
    if not _NOTATION.fullmatch(text):
        raise InputError.single(
            field,
            field,
            f"cannot read {text!r}: expected cohorts like '1NNN 2NTN' (dose level from 1, then "
            f"N/T/E/B; '{BACKFILL_MARK}' before the level marks a backfill cohort)",
        )
    reports_efficacy = phase_1_2 or any(letter in _EFFICACY_LETTERS for letter in text)
    patients: list[PatientOutcome] = []
    escalation_dose: int | None = None
    for mark, level_text, letters in _COHORT.findall(text):
        level = int(level_text)
        cohort = f"{mark}{level_text}{letters}"
        if level > n_doses:
            raise InputError.single(field, field, f"dose level {level} in {text!r} is not in 1..{n_doses}")
        if mark and not backfill:
            raise InputError.single(
                field,
                field,
                f"{cohort!r} in {text!r} is a backfill cohort: only a design with backfill cohorts "
                "takes them (BF-BOIN: --design boin --backfill)",
            )
        if mark and (escalation_dose is None or level >= escalation_dose):
            where = "no escalation cohort" if escalation_dose is None else f"dose {escalation_dose}"
            raise InputError.single(
                field,
                field,
                f"backfill cohort {cohort!r} in {text!r} must lie below the escalation cohort before "
                f"it ({where})",
            )
        if not mark:
            escalation_dose = level
        for letter in letters:
            patients.append(
                PatientOutcome(
                    dose_level=level,
                    dlt="yes" if letter in "TB" else "no",
                    efficacy=(letter in _EFFICACY_LETTERS) if reports_efficacy else None,
                    backfill=bool(mark),
                )
            )
    return EscalationState(patients=tuple(patients))
