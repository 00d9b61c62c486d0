"""The readings a response analysis chooses, each a setting with the published default (docs/response.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from cartrial.clinical.sledai import SledaiVersion
from cartrial.errors import InputError

# SRI-4 asks for a SELENA-SLEDAI fall of >= 4 points (Furie et al. Arthritis Rheum 2009); SRI-5 .. SRI-8
# raise that number and keep the BILAG and PGA parts (Furie et al.; belimumab BLISS analyses).
SRI_SLEDAI_REDUCTION = 4
SRI_LARGEST_REDUCTION = 8


class CarTReading(StrEnum):
    """How the CAR-T product counts where LLDAS and DORIS exclude investigational drugs.

    NOT_INVESTIGATIONAL: the one-off infusion is not a drug the subject is taking at later visits, as the
    published CAR-T SLE reports read it when they report LLDAS and DORIS after infusion (Mackensen et al.
    Nat Med 2022; Müller et al. NEJM 2024). INVESTIGATIONAL: from the infusion day on, the subject counts
    as on an investigational drug, so LLDAS and DORIS are not met.
    """

    NOT_INVESTIGATIONAL = "not_investigational"
    INVESTIGATIONAL = "investigational"


@dataclass(frozen=True, slots=True)
class ResponseSettings:
    """Which SLEDAI version each criterion reads, the SRI level, the steroid table and the CAR-T reading."""

    sri_reduction: int = SRI_SLEDAI_REDUCTION
    sri_sledai: SledaiVersion = SledaiVersion.SELENA
    lldas_sledai: SledaiVersion = SledaiVersion.SLEDAI_2K
    doris_sledai: SledaiVersion = SledaiVersion.SLEDAI_2K
    glucocorticoid_table: Literal["BNF", "US"] = "BNF"
    car_t: CarTReading = CarTReading.NOT_INVESTIGATIONAL

    def __post_init__(self) -> None:
        if not SRI_SLEDAI_REDUCTION <= self.sri_reduction <= SRI_LARGEST_REDUCTION:
            raise InputError.single(
                "settings",
                "sri_reduction",
                f"{self.sri_reduction}: SRI is defined for {SRI_SLEDAI_REDUCTION}..{SRI_LARGEST_REDUCTION}",
            )

    @property
    def sri_name(self) -> str:
        return f"SRI-{self.sri_reduction}"

    def to_json(self) -> dict[str, Any]:
        return {
            "sri_reduction": self.sri_reduction,
            "sri_sledai": self.sri_sledai.value,
            "lldas_sledai": self.lldas_sledai.value,
            "doris_sledai": self.doris_sledai.value,
            "glucocorticoid_table": self.glucocorticoid_table,
            "car_t": self.car_t.value,
        }
