"""The 3+3 design (Storer 1989; the rule as the issue and most CAR-T protocols state it).

Three patients at a dose: 0/3 escalate, 1/3 treat three more, and with six, at most 1/6 escalate.
Two or more DLTs mean the dose is above the MTD: de-escalate, expanding the lower dose to six if it
has three; at the start dose that means the backup level below it (DL-1). The MTD is the highest
dose with at most 1/6 below the lowest dose found too toxic. A dose once found too toxic is never
re-entered. Settings (named, off by default) give the variants protocols use.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.errors import InputError
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start

# Storer 1989: cohorts of three, at most two cohorts (six patients) at a dose.
THREE_PLUS_THREE_COHORT = 3
THREE_PLUS_THREE_MAX_AT_DOSE = 6
# Storer 1989: two DLTs make a dose too toxic; at most one DLT in six escalates.
THREE_PLUS_THREE_TOXIC_DLTS = 2


@dataclass(frozen=True, slots=True)
class ThreePlusThreeSettings:
    """Variants of the 3+3 that protocols write.

    - `confirm_mtd_with_six` (default True): a dose is declared the MTD only with six patients, so a
      dose with 0/3 whose next dose is too toxic (or which is the highest) gets three more first.
      False: 0/3 there is enough.
    - `accept_two_of_six` (default False): the "2/6 rule" — a dose with exactly 2/6 DLTs is not too
      toxic but is the MTD (no further escalation); 2/3 and 3/6 remain too toxic.
    """

    confirm_mtd_with_six: bool = True
    accept_two_of_six: bool = False


def is_too_toxic(n: int, dlts: int, settings: ThreePlusThreeSettings) -> bool:
    """True if the dose is above the MTD under the 3+3 rule."""
    if (
        settings.accept_two_of_six
        and n == THREE_PLUS_THREE_MAX_AT_DOSE
        and dlts == THREE_PLUS_THREE_TOXIC_DLTS
    ):
        return False
    return dlts >= THREE_PLUS_THREE_TOXIC_DLTS


def select_three_plus_three_mtd(outcomes: DoseOutcomes, settings: ThreePlusThreeSettings) -> int | None:
    """The highest dose with a complete, acceptable assessment below the lowest too-toxic dose."""
    needed = THREE_PLUS_THREE_MAX_AT_DOSE if settings.confirm_mtd_with_six else THREE_PLUS_THREE_COHORT
    best = None
    for level in range(1, outcomes.n_doses + 1):
        n, y = outcomes.n_at(level), outcomes.dlt_at(level)
        if is_too_toxic(n, y, settings):
            break
        if n >= needed and (n == THREE_PLUS_THREE_MAX_AT_DOSE or y == 0):
            best = level
    return best


@dataclass(frozen=True, slots=True)
class ThreePlusThree:
    n_doses: int
    start_dose: int
    settings: ThreePlusThreeSettings = ThreePlusThreeSettings()
    name: str = "3+3"

    def _stop(self, outcomes: DoseOutcomes, reason: str) -> Decision:
        mtd = select_three_plus_three_mtd(outcomes, self.settings)
        tail = f"; MTD = dose {mtd}" if mtd is not None else "; no dose is tolerated (no MTD)"
        return Decision(self.name, "stop", None, reason + tail, (), {"mtd": mtd})

    def _move(self, current: int, next_dose: int, reason: str) -> Decision:
        return Decision(self.name, action_between(current, next_dose), next_dose, reason)

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        n, y = outcomes.n_at(current), outcomes.dlt_at(current)
        if n > THREE_PLUS_THREE_MAX_AT_DOSE:
            raise InputError.single(
                "outcomes", f"dose {current}", f"{n} patients: the 3+3 treats at most 6 at a dose"
            )
        if n % THREE_PLUS_THREE_COHORT != 0:
            return self._move(current, current, f"{n} patients at dose {current}: complete the cohort of 3")
        settings = self.settings
        toxic = [
            level
            for level in range(1, self.n_doses + 1)
            if is_too_toxic(outcomes.n_at(level), outcomes.dlt_at(level), settings)
        ]
        ceiling = toxic[0] if toxic else self.n_doses + 1  # lowest dose above the MTD
        seen = f"{y}/{n} DLTs at dose {current}"
        if is_too_toxic(n, y, settings):
            lower = current - 1
            if lower < 1:
                return self._stop(outcomes, f"{seen}: the lowest dose is too toxic")
            n_lower = outcomes.n_at(lower)
            if n_lower == 0:
                return self._move(current, lower, f"{seen}: above the MTD, treat 3 at dose {lower}")
            if n_lower < THREE_PLUS_THREE_MAX_AT_DOSE and settings.confirm_mtd_with_six:
                return self._move(current, lower, f"{seen}: above the MTD, expand dose {lower} to 6")
            return self._stop(outcomes, f"{seen}: above the MTD")
        if n == THREE_PLUS_THREE_COHORT and y > 0:
            return self._move(current, current, f"{seen}: treat 3 more at dose {current}")
        if y == THREE_PLUS_THREE_TOXIC_DLTS:  # only reached under accept_two_of_six
            return self._stop(outcomes, f"{seen}: acceptable under the 2/6 rule but no escalation")
        if current + 1 < ceiling:
            return self._move(current, current + 1, f"{seen}: escalate")
        blocked = "the highest dose" if current == self.n_doses else f"dose {current + 1} is too toxic"
        if n == THREE_PLUS_THREE_COHORT and settings.confirm_mtd_with_six:
            return self._move(current, current, f"{seen}, {blocked}: treat 3 more to confirm the MTD")
        return self._stop(outcomes, f"{seen}, {blocked}")
