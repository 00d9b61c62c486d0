"""Shared builders for the escalation tests."""

from __future__ import annotations

from cartrial.escalation import DoseOutcomes, parse_outcomes, summarise_outcomes


def outcomes(text: str, n_doses: int = 4) -> DoseOutcomes:
    """Counts from the outcome notation."""
    return summarise_outcomes(parse_outcomes(text, n_doses), n_doses)
