"""i3+3: the interval 3+3 design (Liu, Wang & Ji 2020).

With EI = [phi - epsilon1, phi + epsilon2] and the observed rate y/n at the current dose: below EI
escalate; inside EI stay; above EI stay if (y - 1)/n is below EI (one DLT fewer would escalate),
otherwise de-escalate. Boundaries are inclusive as in the FIND R package's `get_decision_i3plus3`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.escalation.designs.interval import DEESCALATE, ESCALATE, STAY
from cartrial.escalation.designs.tpi import EPSILON_DEFAULT


@dataclass(frozen=True, slots=True)
class I3Plus3Signal:
    target: float
    epsilon1: float = EPSILON_DEFAULT
    epsilon2: float = EPSILON_DEFAULT

    def row(self, n: int) -> tuple[int, ...]:
        lower, upper = self.target - self.epsilon1, self.target + self.epsilon2

        def one(dlts: int) -> int:
            rate = dlts / n
            if rate < lower:
                return ESCALATE
            if rate <= upper:
                return STAY
            return STAY if (dlts - 1) / n < lower else DEESCALATE

        return tuple(one(dlts) for dlts in range(n + 1))

    def explain(self, n: int, dlts: int) -> str:
        lower, upper = self.target - self.epsilon1, self.target + self.epsilon2
        return f"rate {dlts / n:.4f} vs EI [{lower:.3f}, {upper:.3f}], one fewer {(dlts - 1) / n:.4f}"
