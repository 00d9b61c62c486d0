"""mTPI-2: the modified toxicity probability interval design, version 2 (Guo, Wang, Ji, Ying & Yuan 2017).

[0, 1] is cut into the equivalence interval EI = [phi - epsilon1, phi + epsilon2] and intervals of the
same width below and above it (the outermost truncated at 0 and 1). With a Beta(1, 1) prior the
posterior of the current dose's DLT probability is Beta(1 + y, 1 + n - y); the interval with the
largest unit probability mass (posterior probability / length) decides: below EI escalate, EI stay,
above de-escalate. Conventions (first maximum wins; decision by the interval's midpoint) follow the
FIND R package's `get_decision_mtpi2` (see docs/escalation.md).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta

from cartrial.escalation.designs.interval import DEESCALATE, ESCALATE, STAY
from cartrial.escalation.designs.tpi import EPSILON_DEFAULT

# Guo et al. 2017: the Beta(1, 1) prior on each dose's DLT probability.
MTPI2_PRIOR_A = 1.0
MTPI2_PRIOR_B = 1.0
# Intervals whose width differs from epsilon by less than this count as whole (FIND: sqrt(eps)).
_WHOLE_TOLERANCE = 1.5e-8
# Edges are rounded to drop floating-point noise (0.05000000000000004 -> 0.05); FIND rounds to 3.
_EDGE_DIGITS = 12


def calculate_mtpi2_intervals(lower: float, upper: float) -> tuple[tuple[float, float], ...]:
    """The sub-intervals of [0, 1]: EI = [lower, upper] and intervals of its width on each side."""
    width = upper - lower
    below = math.ceil(lower / width - _WHOLE_TOLERANCE)
    above = math.ceil((1 - upper) / width - _WHOLE_TOLERANCE)
    edges = [lower - k * width for k in range(below, 0, -1)] + [lower, upper]
    edges += [upper + k * width for k in range(1, above + 1)]
    edges = [round(edge, _EDGE_DIGITS) for edge in edges]
    edges[0] = 0.0
    edges[-1] = 1.0
    return tuple(itertools.pairwise(edges))


@dataclass(frozen=True, slots=True)
class Mtpi2Signal:
    target: float
    epsilon1: float = EPSILON_DEFAULT
    epsilon2: float = EPSILON_DEFAULT

    @property
    def intervals(self) -> tuple[tuple[float, float], ...]:
        return calculate_mtpi2_intervals(self.target - self.epsilon1, self.target + self.epsilon2)

    def unit_probability_masses(self, n: int) -> NDArray[np.float64]:
        """masses[y, k]: posterior probability of interval k over its length, for y = 0..n DLTs."""
        edges = np.asarray([start for start, _ in self.intervals] + [1.0])
        dlts = np.arange(n + 1)[:, None]
        cdf = beta.cdf(edges[None, :], dlts + MTPI2_PRIOR_A, n - dlts + MTPI2_PRIOR_B)
        return np.asarray(np.diff(cdf, axis=1) / np.diff(edges)[None, :], dtype=np.float64)

    def row(self, n: int) -> tuple[int, ...]:
        lower, upper = self.target - self.epsilon1, self.target + self.epsilon2
        signals = []
        for best in np.argmax(self.unit_probability_masses(n), axis=1):  # first maximum, as which.max
            start, end = self.intervals[int(best)]
            midpoint = (start + end) / 2
            signals.append(ESCALATE if midpoint < lower else DEESCALATE if midpoint > upper else STAY)
        return tuple(signals)

    def explain(self, n: int, dlts: int) -> str:
        masses = self.unit_probability_masses(n)[dlts]
        best = int(np.argmax(masses))
        start, end = self.intervals[best]
        return f"largest unit probability mass {masses[best]:.4f} on [{start:.3f}, {end:.3f}]"
