"""BILAG-2004 domain grades: the numeric score and the new A/B domains SRI counts against baseline.

A domain not graded at baseline or at the visit is unknown: the score becomes a range, and a domain
that could be a new A or B (by some grade it might have) makes the SRI BILAG part unknown unless the
known domains already decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cartrial.clinical.tristate import Tristate
from cartrial.response.model import BilagDomain, BilagGrade, BilagGrades
from cartrial.response.result import ScoreRange

# BILAG-2004 numeric scoring: A 12, B 8, C 1, D 0, E 0 (Yee et al. Rheumatology 2010).
BILAG_2004_NUMERIC: dict[BilagGrade, int] = {
    BilagGrade.A: 12,
    BilagGrade.B: 8,
    BilagGrade.C: 1,
    BilagGrade.D: 0,
    BilagGrade.E: 0,
}
# SRI part (b): no new BILAG A domain and no more than one new BILAG B domain (Furie et al. 2009).
SRI_MAX_NEW_BILAG_A = 0
SRI_MAX_NEW_BILAG_B = 1

ALL_GRADES: tuple[BilagGrade, ...] = tuple(BilagGrade)


class DomainChange(StrEnum):
    NEW_A = "new A"
    NEW_B = "new B"
    NOT_NEW = "not new"


def classify_domain_change(baseline: BilagGrade, visit: BilagGrade) -> DomainChange:
    """New A: A now, not A at baseline. New B: B now, C/D/E at baseline (A -> B is an improvement)."""
    if visit is BilagGrade.A and baseline is not BilagGrade.A:
        return DomainChange.NEW_A
    if visit is BilagGrade.B and baseline not in (BilagGrade.A, BilagGrade.B):
        return DomainChange.NEW_B
    return DomainChange.NOT_NEW


def _grade(grades: BilagGrades | None, domain: BilagDomain) -> BilagGrade | None:
    return None if grades is None else grades.grade(domain)


def calculate_bilag_numeric(grades: BilagGrades | None) -> ScoreRange:
    """The BILAG-2004 numeric score (0-108), a range over the domains not graded."""
    low = high = 0
    for domain in BilagDomain:
        grade = _grade(grades, domain)
        if grade is None:
            high += max(BILAG_2004_NUMERIC.values())
        else:
            low += BILAG_2004_NUMERIC[grade]
            high += BILAG_2004_NUMERIC[grade]
    return ScoreRange(low, high)


@dataclass(frozen=True, slots=True)
class BilagComparison:
    """Each domain's possible changes from baseline (one when both grades are known)."""

    possible: dict[BilagDomain, frozenset[DomainChange]]

    def certain(self, change: DomainChange) -> tuple[BilagDomain, ...]:
        return tuple(d for d, options in self.possible.items() if options == {change})

    def maybe(self, change: DomainChange) -> tuple[BilagDomain, ...]:
        """Domains that might have `change`, but might not (a grade is missing)."""
        return tuple(d for d, options in self.possible.items() if change in options and len(options) > 1)

    @property
    def sri_met(self) -> Tristate:
        """SRI part (b) over every way the missing grades could be filled in."""
        might_be_a = [d for d, options in self.possible.items() if DomainChange.NEW_A in options]
        might_be_b = [d for d, options in self.possible.items() if DomainChange.NEW_B in options]
        if len(might_be_a) <= SRI_MAX_NEW_BILAG_A and len(might_be_b) <= SRI_MAX_NEW_BILAG_B:
            return True
        # Fill each domain in as kindly as it allows: not new if it can be, else a new B if it can be.
        forced_a = [d for d, options in self.possible.items() if options == {DomainChange.NEW_A}]
        forced_b = [
            d
            for d, options in self.possible.items()
            if DomainChange.NOT_NEW not in options and DomainChange.NEW_B in options
        ]
        if len(forced_a) > SRI_MAX_NEW_BILAG_A or len(forced_b) > SRI_MAX_NEW_BILAG_B:
            return False
        return None


def compare_bilag(baseline: BilagGrades | None, visit: BilagGrades | None) -> BilagComparison:
    """How each domain changed from baseline, over every grade a missing one could have."""
    possible: dict[BilagDomain, frozenset[DomainChange]] = {}
    for domain in BilagDomain:
        before = _grade(baseline, domain)
        after = _grade(visit, domain)
        possible[domain] = frozenset(
            classify_domain_change(b, a)
            for b in (ALL_GRADES if before is None else (before,))
            for a in (ALL_GRADES if after is None else (after,))
        )
    return BilagComparison(possible)
