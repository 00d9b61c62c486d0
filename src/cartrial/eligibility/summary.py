"""The screening log summary: CONSORT-style counts of screen failures by criterion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from cartrial.eligibility.result import Outcome, ScreeningResult, Verdict


@dataclass(frozen=True, slots=True)
class CriterionCount:
    id: str
    kind: str
    title: str
    excluded: int
    unknown: int


@dataclass(frozen=True, slots=True)
class ScreeningSummary:
    screened: int
    verdicts: dict[Verdict, int]
    by_criterion: tuple[CriterionCount, ...]
    """Per criterion, how many candidates it excluded and for how many it was unknown. A candidate who
    fails several criteria is counted under each, as CONSORT diagrams list reasons."""


def summarise_screening(results: Iterable[ScreeningResult]) -> ScreeningSummary:
    screened = 0
    verdicts: Counter[Verdict] = Counter()
    excluded: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    titles: dict[str, tuple[str, str]] = {}
    for result in results:
        screened += 1
        verdicts[result.verdict] += 1
        for c in result.criteria:
            titles.setdefault(c.id, (c.kind, c.title))
            excluded[c.id] += c.excludes
            unknown[c.id] += c.outcome is Outcome.UNKNOWN
    return ScreeningSummary(
        screened=screened,
        verdicts={v: verdicts[v] for v in Verdict},
        by_criterion=tuple(
            CriterionCount(cid, kind, title, excluded[cid], unknown[cid])
            for cid, (kind, title) in titles.items()
        ),
    )
