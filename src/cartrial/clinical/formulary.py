"""Drug names as sites write them, resolved to one generic name and its therapeutic class.

The standard-regimen rules of the protocol speak in classes (corticosteroids, antimalarials, NSAIDs)
and in named immunosuppressants; a medication record names a drug. This table joins the two. A drug not
in it has class OTHER: it is a real medication, just not one the eligibility rules weigh.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from cartrial.clinical.glucocorticoids import GLUCOCORTICOIDS


class DrugClass(StrEnum):
    CORTICOSTEROID = "corticosteroid"
    ANTIMALARIAL = "antimalarial"
    NSAID = "nsaid"
    IMMUNOSUPPRESSANT = "immunosuppressant"
    BIOLOGIC = "biologic"
    OTHER = "other"


# Generic name -> class. Immunosuppressants: the registry record's list; biologics used in SLE in China.
_CLASSES: dict[str, DrugClass] = {
    **dict.fromkeys(GLUCOCORTICOIDS, DrugClass.CORTICOSTEROID),
    "hydroxychloroquine": DrugClass.ANTIMALARIAL,
    "chloroquine": DrugClass.ANTIMALARIAL,
    "quinacrine": DrugClass.ANTIMALARIAL,
    "ibuprofen": DrugClass.NSAID,
    "naproxen": DrugClass.NSAID,
    "diclofenac": DrugClass.NSAID,
    "celecoxib": DrugClass.NSAID,
    "meloxicam": DrugClass.NSAID,
    "indomethacin": DrugClass.NSAID,
    "etoricoxib": DrugClass.NSAID,
    "loxoprofen": DrugClass.NSAID,
    "aspirin": DrugClass.NSAID,
    "azathioprine": DrugClass.IMMUNOSUPPRESSANT,
    "mycophenolate mofetil": DrugClass.IMMUNOSUPPRESSANT,
    "mycophenolic acid": DrugClass.IMMUNOSUPPRESSANT,
    "cyclophosphamide": DrugClass.IMMUNOSUPPRESSANT,
    "methotrexate": DrugClass.IMMUNOSUPPRESSANT,
    "leflunomide": DrugClass.IMMUNOSUPPRESSANT,
    "tacrolimus": DrugClass.IMMUNOSUPPRESSANT,
    "cyclosporine": DrugClass.IMMUNOSUPPRESSANT,
    "belimumab": DrugClass.BIOLOGIC,
    "telitacicept": DrugClass.BIOLOGIC,
    "rituximab": DrugClass.BIOLOGIC,
    "anifrolumab": DrugClass.BIOLOGIC,
}

# Other spellings and abbreviations -> generic name.
_SYNONYMS: dict[str, str] = {
    "mmf": "mycophenolate mofetil",
    "mycophenolate": "mycophenolate mofetil",
    "mycophenolate sodium": "mycophenolic acid",
    "ciclosporin": "cyclosporine",
    "cyclosporin": "cyclosporine",
    "cyclosporin a": "cyclosporine",
    "csa": "cyclosporine",
    "fk506": "tacrolimus",
    "aza": "azathioprine",
    "mtx": "methotrexate",
    "cyc": "cyclophosphamide",
    "hcq": "hydroxychloroquine",
    "methylprednisolone sodium succinate": "methylprednisolone",
    "medrol": "methylprednisolone",
    "solu-medrol": "methylprednisolone",
    "pred": "prednisone",
}


# Memoised: the screening criteria look up every medication's name several times per record, and sites
# write few distinct names.
@lru_cache(maxsize=4096)
def generic_name(drug: str) -> str:
    """The generic name of a drug as written ('MMF' -> 'mycophenolate mofetil'); unknown names pass through.

    >>> generic_name(" Ciclosporin ")
    'cyclosporine'
    """
    key = " ".join(drug.lower().split())
    return _SYNONYMS.get(key, key)


def drug_class(generic: str) -> DrugClass:
    return _CLASSES.get(generic, DrugClass.OTHER)
