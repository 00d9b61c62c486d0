"""Dose-transition pathways (Yap et al. 2017): every outcome of the next cohorts and the decision after each.

From the data so far the design recommends a dose; each possible number of DLTs in the next cohort at
that dose gives new data and a new decision, and so on for `n_cohorts` cohorts. A branch ends early
when the design stops or suspends accrual.

With backfill cohorts (BF-BOIN, Zhao et al. 2024) each escalation cohort brings one backfill cohort,
as the cohort-by-cohort BF-BOIN simulation does: while the escalation cohort at d is pending, the
design's suspended decision names the doses open to backfill (`backfill_open`); up to
`backfill_size` patients are treated at the highest of them (no more than the cap leaves room
for), and every pair of DLT counts (escalation cohort, backfill cohort) is a branch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cartrial.errors import InputError
from cartrial.escalation.designs.backfill import BACKFILL_DEFAULT_CAP
from cartrial.escalation.interface import Decision, Design, DoseOutcomes
from cartrial.escalation.notation import BACKFILL_MARK

# Yap et al. 2017 tabulate up to a few cohorts; deeper trees grow as (cohort size + 1)^k.
MAX_PATHWAY_NODES = 200_000


@dataclass(frozen=True, slots=True)
class PathwayNode:
    """One cohort's outcome (None at the root), the decision after it, and what follows.

    `backfill_dose` is None when no backfill cohort came with the escalation cohort."""

    dose: int | None
    dlts: int | None
    cohort_size: int
    decision: Decision
    children: tuple[PathwayNode, ...]
    backfill_dose: int | None = None
    backfill_dlts: int | None = None
    backfill_size: int = 0

    @property
    def escalation_outcome(self) -> str:
        """The escalation cohort in the outcome notation, DLTs last (e.g. '3NNT'); empty at the root."""
        if self.dose is None or self.dlts is None:
            return ""
        return f"{self.dose}{'N' * (self.cohort_size - self.dlts)}{'T' * self.dlts}"

    @property
    def backfill_outcome(self) -> str:
        """The backfill cohort in the notation, marked (e.g. 'b1NT'); empty when there is none."""
        if self.backfill_dose is None or self.backfill_dlts is None:
            return ""
        letters = f"{'N' * (self.backfill_size - self.backfill_dlts)}{'T' * self.backfill_dlts}"
        return f"{BACKFILL_MARK}{self.backfill_dose}{letters}"

    @property
    def outcome(self) -> str:
        """The escalation cohort, then its backfill cohort (e.g. '3NNT b1NN')."""
        return f"{self.escalation_outcome} {self.backfill_outcome}".strip()


@dataclass(frozen=True, slots=True)
class BackfillCohort:
    """A backfill cohort: its dose and number of patients."""

    dose: int
    size: int


def _add_cohort(
    outcomes: DoseOutcomes, dose: int, size: int, dlts: int, backfill: bool = False
) -> DoseOutcomes:
    """The outcomes with a completed cohort added; a backfill cohort moves neither the current dose
    nor the run of recent outcomes at it."""
    treated = list(outcomes.treated)
    toxic = list(outcomes.dlts)
    treated[dose - 1] += size
    toxic[dose - 1] += dlts
    if backfill:
        return replace(outcomes, treated=tuple(treated), dlts=tuple(toxic))
    run = outcomes.recent_dlts if outcomes.current_dose == dose else ()
    recent = (*run, *(1,) * dlts, *(0,) * (size - dlts))
    return replace(outcomes, treated=tuple(treated), dlts=tuple(toxic), current_dose=dose, recent_dlts=recent)


def select_backfill_cohort(
    design: Design, outcomes: DoseOutcomes, dose: int, cohort_size: int, backfill_size: int, cap: int
) -> BackfillCohort | None:
    """The backfill cohort treated while an escalation cohort of `cohort_size` is pending at `dose`:
    at the highest dose the design reports open (`backfill_open`), min(backfill_size, cap - n there)
    patients; None when no dose is open."""
    pending = list(outcomes.pending)
    pending[dose - 1] += cohort_size
    waiting = replace(outcomes, pending=tuple(pending), current_dose=dose)
    decision = design.decide(waiting)
    if "backfill_open" not in decision.details:
        raise InputError.single(
            "pathways", "backfill", f"design {design.name!r} has no backfill cohorts (BF-BOIN: --backfill)"
        )
    open_doses: list[int] = decision.details["backfill_open"]
    if not open_doses:
        return None
    level = max(open_doses)
    taken = outcomes.n_at(level) + outcomes.pending[level - 1]
    return BackfillCohort(level, min(backfill_size, cap - taken))


def calculate_pathways(
    design: Design,
    outcomes: DoseOutcomes,
    cohort_size: int,
    n_cohorts: int,
    backfill_size: int = 0,
    backfill_cap: int = BACKFILL_DEFAULT_CAP,
) -> PathwayNode:
    """The tree of decisions over the next `n_cohorts` cohorts of `cohort_size`, each with a
    backfill cohort of up to `backfill_size` when that is positive (BF-BOIN designs only)."""
    if n_cohorts < 1:
        raise InputError.single("pathways", "cohorts", f"must be at least 1, got {n_cohorts}")
    if cohort_size < 1:
        raise InputError.single("pathways", "cohort_size", f"must be at least 1, got {cohort_size}")
    if backfill_size < 0:
        raise InputError.single("pathways", "backfill_size", f"must be at least 0, got {backfill_size}")
    branches = (cohort_size + 1) * (backfill_size + 1)
    nodes = sum(branches**k for k in range(n_cohorts + 1))
    if nodes > MAX_PATHWAY_NODES:
        raise InputError.single(
            "pathways", "cohorts", f"{n_cohorts} cohorts of {cohort_size} is too many paths"
        )

    def grow(data: DoseOutcomes, decision: Decision, depth: int) -> tuple[PathwayNode, ...]:
        next_dose = decision.next_dose
        if depth >= n_cohorts or next_dose is None or decision.action in ("stop", "suspend"):
            return ()
        backfill = (
            select_backfill_cohort(design, data, next_dose, cohort_size, backfill_size, backfill_cap)
            if backfill_size > 0
            else None
        )
        children: list[PathwayNode] = []
        for count in range(cohort_size + 1):
            after = _add_cohort(data, next_dose, cohort_size, count)
            if backfill is None:
                child = design.decide(after)
                children.append(
                    PathwayNode(next_dose, count, cohort_size, child, grow(after, child, depth + 1))
                )
                continue
            for extra in range(backfill.size + 1):
                both = _add_cohort(after, backfill.dose, backfill.size, extra, backfill=True)
                child = design.decide(both)
                children.append(
                    PathwayNode(
                        next_dose,
                        count,
                        cohort_size,
                        child,
                        grow(both, child, depth + 1),
                        backfill.dose,
                        extra,
                        backfill.size,
                    )
                )
        return tuple(children)

    first = design.decide(outcomes)
    return PathwayNode(None, None, cohort_size, first, grow(outcomes, first, 0))


def list_pathways(root: PathwayNode) -> list[tuple[str, Decision]]:
    """Each path as (outcome notation of its cohorts, decision after the last), depth first."""
    paths: list[tuple[str, Decision]] = []

    def walk(node: PathwayNode, prefix: str) -> None:
        label = f"{prefix} {node.outcome}".strip()
        if not node.children:
            paths.append((label, node.decision))
        for child in node.children:
            walk(child, label)

    walk(root, "")
    return paths
