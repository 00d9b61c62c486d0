"""Dose-transition pathways (Yap et al. 2017): every outcome of the next cohorts and the decision after each.

From the data so far the design recommends a dose; each possible number of DLTs in the next cohort at
that dose gives new data and a new decision, and so on for `n_cohorts` cohorts. A branch ends early
when the design stops or suspends accrual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cartrial.errors import InputError
from cartrial.escalation.interface import Decision, Design, DoseOutcomes

# Yap et al. 2017 tabulate up to a few cohorts; deeper trees grow as (cohort size + 1)^k.
MAX_PATHWAY_NODES = 200_000


@dataclass(frozen=True, slots=True)
class PathwayNode:
    """One cohort's outcome (None at the root), the decision after it, and what follows."""

    dose: int | None
    dlts: int | None
    cohort_size: int
    decision: Decision
    children: tuple[PathwayNode, ...]

    @property
    def outcome(self) -> str:
        """The cohort in the outcome notation, DLTs last (e.g. '3NNT'); empty at the root."""
        if self.dose is None or self.dlts is None:
            return ""
        return f"{self.dose}{'N' * (self.cohort_size - self.dlts)}{'T' * self.dlts}"


def _add_cohort(outcomes: DoseOutcomes, dose: int, size: int, dlts: int) -> DoseOutcomes:
    treated = list(outcomes.treated)
    toxic = list(outcomes.dlts)
    treated[dose - 1] += size
    toxic[dose - 1] += dlts
    run = outcomes.recent_dlts if outcomes.current_dose == dose else ()
    recent = (*run, *(1,) * dlts, *(0,) * (size - dlts))
    return replace(outcomes, treated=tuple(treated), dlts=tuple(toxic), current_dose=dose, recent_dlts=recent)


def calculate_pathways(
    design: Design, outcomes: DoseOutcomes, cohort_size: int, n_cohorts: int
) -> PathwayNode:
    """The tree of decisions over the next `n_cohorts` cohorts of `cohort_size`."""
    if n_cohorts < 1:
        raise InputError.single("pathways", "cohorts", f"must be at least 1, got {n_cohorts}")
    if cohort_size < 1:
        raise InputError.single("pathways", "cohort_size", f"must be at least 1, got {cohort_size}")
    nodes = sum((cohort_size + 1) ** k for k in range(n_cohorts + 1))
    if nodes > MAX_PATHWAY_NODES:
        raise InputError.single(
            "pathways", "cohorts", f"{n_cohorts} cohorts of {cohort_size} is too many paths"
        )

    def grow(
        data: DoseOutcomes, decision: Decision, depth: int, dose: int | None, dlts: int | None
    ) -> PathwayNode:
        children: list[PathwayNode] = []
        next_dose = decision.next_dose
        if depth < n_cohorts and next_dose is not None and decision.action not in ("stop", "suspend"):
            for count in range(cohort_size + 1):
                after = _add_cohort(data, next_dose, cohort_size, count)
                children.append(grow(after, design.decide(after), depth + 1, next_dose, count))
        return PathwayNode(dose, dlts, cohort_size, decision, tuple(children))

    return grow(outcomes, design.decide(outcomes), 0, None, None)


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
