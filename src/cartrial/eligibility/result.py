"""What screening returns: for each criterion met / not met / unknown, its evidence and missing data."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Literal, NamedTuple

from cartrial.clinical.tristate import Tristate


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: Tristate) -> Outcome:
        if value is None:
            return cls.UNKNOWN
        return cls.MET if value else cls.NOT_MET


# Module-level names for the members: `combine` and `found` run for every criterion of every record.
_MET, _NOT_MET, _UNKNOWN = Outcome.MET, Outcome.NOT_MET, Outcome.UNKNOWN


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"


CriterionKind = Literal["inclusion", "exclusion"]


class Evidence(NamedTuple):
    """One fact a criterion weighed: what, its value (after unit conversion), the rule, what it says."""

    item: str
    value: str
    rule: str
    outcome: Outcome


class CriterionResult(NamedTuple):
    id: str
    kind: CriterionKind
    title: str
    outcome: Outcome
    evidence: tuple[Evidence, ...]
    missing: tuple[str, ...]

    @property
    def excludes(self) -> bool:
        """Whether this result alone makes the candidate ineligible."""
        if self.kind == "inclusion":
            return self.outcome is Outcome.NOT_MET
        return self.outcome is Outcome.MET


class ScreeningResult(NamedTuple):
    screening_id: str
    protocol: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.excludes)


def decide_verdict(criteria: tuple[CriterionResult, ...]) -> Verdict:
    """Ineligible if any criterion excludes; incomplete if any is unknown; else eligible.

    `CriterionResult.excludes` written out: it runs for every criterion of every record screened.
    """
    incomplete = False
    for c in criteria:
        outcome = c.outcome
        if outcome is (_NOT_MET if c.kind == "inclusion" else _MET):
            return Verdict.INELIGIBLE
        incomplete = incomplete or outcome is _UNKNOWN
    return Verdict.INCOMPLETE if incomplete else Verdict.ELIGIBLE


class Finding(NamedTuple):
    """One part of a criterion: its evidence (None when nothing could be weighed) and what is missing."""

    outcome: Outcome
    evidence: Evidence | None = None
    missing: tuple[str, ...] = ()


# Results are built for every criterion of every record screened: `tuple.__new__` on the named tuple
# classes builds the very same values without the Python-level `__new__` that the class call runs.
_new = tuple.__new__


def unknown(*missing: str) -> Finding:
    return _new(Finding, (_UNKNOWN, None, missing))


def found(item: str, value: str, rule: str, holds: Tristate, missing: tuple[str, ...] = ()) -> Finding:
    """A part weighed on evidence; when `holds` is unknown, `missing` names what would decide it."""
    if holds is None:
        return _new(Finding, (_UNKNOWN, _new(Evidence, (item, value, rule, _UNKNOWN)), missing))
    outcome = _MET if holds else _NOT_MET
    return _new(Finding, (outcome, _new(Evidence, (item, value, rule, outcome)), ()))


def decide(item: str, value: str, rule: str, holds: bool) -> tuple[Outcome, Evidence]:
    """A known part (`found` with `holds` known): its outcome and its evidence, with no `Finding` around."""
    outcome = _MET if holds else _NOT_MET
    return outcome, _new(Evidence, (item, value, rule, outcome))


def combine(
    criterion_id: str, kind: CriterionKind, title: str, findings: tuple[Finding, ...], require: str
) -> CriterionResult:
    """A criterion from its parts: `require="all"` (every part must hold) or `"any"` (one part suffices).

    Unknown parts make the criterion unknown only when the known parts do not already decide it.
    """
    if len(findings) == 1:  # one part decides alone, whatever `require` says
        alone, weighed, missing = findings[0]
        return _new(
            CriterionResult,
            (
                criterion_id,
                kind,
                title,
                alone,
                () if weighed is None else (weighed,),
                missing if alone is _UNKNOWN else (),
            ),
        )
    decisive, other = (_NOT_MET, _MET) if require == "all" else (_MET, _NOT_MET)
    outcome = other
    evidence: list[Evidence] = []
    for part, shown, _ in findings:
        if shown is not None:
            evidence.append(shown)
        # A decisive part decides, whatever the parts after it say.
        if outcome is not decisive and (part is decisive or part is _UNKNOWN):
            outcome = part
    return _new(
        CriterionResult,
        (
            criterion_id,
            kind,
            title,
            outcome,
            tuple(evidence),
            () if outcome is not _UNKNOWN else tuple([m for f in findings for m in f.missing]),
        ),
    )


def combine_one(
    criterion_id: str, kind: CriterionKind, title: str, outcome: Outcome, evidence: Evidence
) -> CriterionResult:
    """A criterion of one known part (`combine` of one `found` with `holds` known)."""
    return _new(CriterionResult, (criterion_id, kind, title, outcome, (evidence,), ()))


# Memoised twins of `found` and `combine` for parts whose text carries nothing of the record (nothing
# recorded, nothing found, a score): the many records that share them share one frozen value, which
# saves building it and keeps the cyclic GC from tracking one copy per record.
found_shared = lru_cache(maxsize=1024)(found)
combine_shared = lru_cache(maxsize=4096)(combine)


def result_as_dict(result: ScreeningResult) -> dict[str, object]:
    """The JSON shape of `cartrial screen --json`."""
    return {
        "screening_id": result.screening_id,
        "protocol": result.protocol,
        "verdict": result.verdict.value,
        "criteria": [
            {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "result": c.outcome.value,
                "evidence": [
                    {"item": e.item, "value": e.value, "rule": e.rule, "result": e.outcome.value}
                    for e in c.evidence
                ],
                "missing": list(c.missing),
            }
            for c in result.criteria
        ],
    }
