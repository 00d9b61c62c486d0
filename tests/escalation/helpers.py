"""Shared builders for the escalation tests."""

from __future__ import annotations

from cartrial.escalation import DesignSettings, DoseOutcomes, parse_outcomes, summarise_outcomes


def outcomes(text: str, n_doses: int = 4) -> DoseOutcomes:
    """Counts from the outcome notation."""
    return summarise_outcomes(parse_outcomes(text, n_doses), n_doses)


def bf_boin(**changes: object) -> DesignSettings:
    """BF-BOIN on 4 doses from dose 1 at target 0.3, with `changes` to its settings."""
    values: dict[str, object] = {
        "design": "boin",
        "n_doses": 4,
        "start_dose": 1,
        "target": 0.3,
        "backfill": True,
    }
    values.update(changes)
    return DesignSettings(**values)  # type: ignore[arg-type]
