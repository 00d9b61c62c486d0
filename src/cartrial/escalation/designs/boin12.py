"""BOIN12 (Lin, Zhou, Yan, Li & Yuan 2020): the optimal biological dose from toxicity and efficacy.

Conventions of the R package `escalation` (Brock; `boin12_next_dose`, written to agree with the paper
and the MD Anderson BOIN12 software), read from github:brockk/escalation:
- BOIN's lambda_e, lambda_d for the toxicity target phi_T (phi1 = 0.6, phi2 = 1.4 phi_T).
- Admissible among d-1, d, d+1: not Pr(p_T > phi_T) >= c_T and not Pr(p_E < phi_E) >= c_E, each under
  Beta(1 + events, 1 + non-events).
- Desirability of a dose: 100 Pr(u > u_b / 100), u ~ Beta(1 + x, 1 + n - x) with the quasi-binomial
  utility count x = (u1 y_EnoT + u2 y_noEnoT + u3 y_ET + u4 y_TnoE) / 100; u_b = u_bar + (100 - u_bar)/2,
  u_bar the utility of a dose with rates phi_T and phi_E.
- Decision at d with n patients and DLT rate p: (1) n > 8, p < lambda_d, d not the highest and d+1
  untried: escalate (dose exploration); (2) p >= lambda_d: de-escalate (stay at dose 1);
  (3) lambda_e < p < lambda_d and n >= N*: the more desirable of d-1 and d when both are admissible
  (the lower on a tie), else whichever is admissible, else dose 1; (4) no admissible dose: stop;
  (5) otherwise the most desirable admissible dose, the higher on a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import beta

from cartrial.errors import InputError
from cartrial.escalation.designs.boin import calculate_boin_lambdas
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start
from cartrial.escalation.selection import calculate_pava

# Lin et al. 2020 and the MD Anderson BOIN12 app's defaults: utilities of (efficacy, no DLT),
# (neither), (both), (DLT, no efficacy); N* = 6; c_T = 0.95, c_E = 0.9.
BOIN12_U1 = 100.0
BOIN12_U2 = 40.0
BOIN12_U3 = 60.0
BOIN12_U4 = 0.0
BOIN12_N_STAR = 6
BOIN12_C_T = 0.95
BOIN12_C_E = 0.9
# Lin et al. 2020 (Data Supplement): the dose-exploration rule applies above 8 patients at a dose.
BOIN12_EXPLORATION_N = 8
# Beta(1, 1) priors throughout (Lin et al. 2020).
BOIN12_PRIOR = 1.0


@dataclass(frozen=True, slots=True)
class Boin12:
    n_doses: int
    start_dose: int
    phi_t: float
    phi_e: float
    u1: float = BOIN12_U1
    u2: float = BOIN12_U2
    u3: float = BOIN12_U3
    u4: float = BOIN12_U4
    n_star: int = BOIN12_N_STAR
    c_t: float = BOIN12_C_T
    c_e: float = BOIN12_C_E
    name: str = "boin12"

    def __post_init__(self) -> None:
        if not self.u4 <= self.u2 <= self.u1:
            raise InputError.single("design", "u2", f"must lie between u4={self.u4} and u1={self.u1}")
        if not self.u4 <= self.u3 <= self.u1:
            raise InputError.single("design", "u3", f"must lie between u4={self.u4} and u1={self.u1}")
        if not 0 < self.phi_e < 1:
            raise InputError.single(
                "design", "phi_e", f"an efficacy rate must lie in (0, 1), got {self.phi_e}"
            )

    @property
    def benchmark(self) -> float:
        """u_b: halfway between the utility of a dose at (phi_T, phi_E) and 100."""
        t, e = self.phi_t, self.phi_e
        u_bar = self.u1 * e * (1 - t) + self.u2 * (1 - t) * (1 - e) + self.u3 * t * e + self.u4 * t * (1 - e)
        return u_bar + (100 - u_bar) / 2

    def desirability(self, outcomes: DoseOutcomes, level: int) -> float:
        """100 Pr(utility > benchmark) at `level` (Lin et al. 2020)."""
        k = level - 1
        n, tox = outcomes.treated[k], outcomes.dlts[k]
        eff, both = outcomes.efficacies[k], outcomes.dlt_and_efficacy[k]
        assert eff is not None and both is not None  # decide checked it
        counts = (eff - both, n - tox - (eff - both), both, tox - both)
        x = (self.u1 * counts[0] + self.u2 * counts[1] + self.u3 * counts[2] + self.u4 * counts[3]) / 100
        return 100 * float(beta.sf(self.benchmark / 100, BOIN12_PRIOR + x, BOIN12_PRIOR + n - x))

    def is_admissible(self, outcomes: DoseOutcomes, level: int) -> bool:
        k = level - 1
        n, tox, eff = outcomes.treated[k], outcomes.dlts[k], outcomes.efficacies[k]
        assert eff is not None
        too_toxic = beta.sf(self.phi_t, BOIN12_PRIOR + tox, BOIN12_PRIOR + n - tox) >= self.c_t
        futile = beta.cdf(self.phi_e, BOIN12_PRIOR + eff, BOIN12_PRIOR + n - eff) >= self.c_e
        return not (too_toxic or futile)

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        if any(e is None for e in outcomes.efficacies) or any(b is None for b in outcomes.dlt_and_efficacy):
            raise InputError.single(
                "outcomes", "efficacy", "BOIN12 needs every patient's efficacy (E/B letters)"
            )
        lambda_e, lambda_d = calculate_boin_lambdas(self.phi_t)
        n, tox = outcomes.n_at(current), outcomes.dlt_at(current)
        rate = tox / n if n else 0.0
        neighbours = sorted({max(1, current - 1), current, min(self.n_doses, current + 1)})
        admissible = [d for d in neighbours if self.is_admissible(outcomes, d)]
        scores = [self.desirability(outcomes, d) for d in range(1, self.n_doses + 1)]
        details = {
            "lambda_e": lambda_e,
            "lambda_d": lambda_d,
            "utility_benchmark": self.benchmark,
            "desirability": scores,
            "admissible": admissible,
        }
        seen = f"{tox}/{n} DLTs at dose {current}"
        middle = f"{seen} between the boundaries with n >= {self.n_star}"
        below = current - 1
        if (
            n > BOIN12_EXPLORATION_N
            and rate < lambda_d
            and current < self.n_doses
            and self._untried(outcomes, current + 1)
        ):
            next_dose, why = (
                current + 1,
                f"{seen}, {n} > {BOIN12_EXPLORATION_N} treated and dose {current + 1} untried: explore it",
            )
        elif rate >= lambda_d:
            next_dose, why = max(below, 1), f"{seen}: rate >= lambda_d {lambda_d:.4f}"
        elif lambda_e < rate < lambda_d and n >= self.n_star:
            if below in admissible and current in admissible:
                next_dose = below if scores[below - 1] >= scores[current - 1] else current
                why = f"{middle}: the more desirable of {below} and {current}"
            else:
                next_dose = below if below in admissible else current if current in admissible else 1
                why = f"{middle}: the admissible of {below} and {current}"
        elif not admissible:
            return Decision(self.name, "stop", None, f"{seen}: no admissible dose", (), details)
        else:
            best = max(scores[d - 1] for d in admissible)
            next_dose = max(d for d in admissible if scores[d - 1] == best)
            why = f"{seen}: the most desirable admissible dose ({best:.2f})"
        return Decision(self.name, action_between(current, next_dose), next_dose, why, (), details)

    def select_obd(self, outcomes: DoseOutcomes) -> int | None:
        """The optimal biological dose at the end (R escalation's `select_boin12_obd`): the MTD is the
        treated dose whose pooled (PAVA) empiric DLT rate is closest to phi_T (the higher on a tie);
        the OBD is the most desirable dose at or below it (the lower on a tie). None when the trial
        ends with no admissible dose or nobody treated."""
        treated = [d for d in range(1, self.n_doses + 1) if outcomes.n_at(d) > 0]
        if not treated or outcomes.current_dose is None or self.decide(outcomes).next_dose is None:
            return None
        pooled = calculate_pava([outcomes.dlt_at(d) / outcomes.n_at(d) for d in treated])
        distances = [abs(p - self.phi_t) for p in pooled]
        closest = min(distances)
        mtd = max(d for d, dist in zip(treated, distances, strict=True) if dist == closest)
        scores = [self.desirability(outcomes, d) for d in range(1, mtd + 1)]
        return scores.index(max(scores)) + 1

    @staticmethod
    def _untried(outcomes: DoseOutcomes, level: int) -> bool:
        return outcomes.n_at(level) == 0 and outcomes.pending[level - 1] == 0
