"""The rows of the BPSDrugs reference catalogue (the same in every practice)."""

from __future__ import annotations

from collections.abc import Iterator

from . import codes as c
from .model import Batch

#: Generic descriptions of the vaccines (VACCINES.GENERIC).
_GENERIC = {1: "DTPa-hepB-IPV-Hib", 2: "13vPCV", 3: "Rotavirus", 4: "MenACWY", 5: "MMR", 6: "Hib", 7: "MMRV",
            8: "DTPa-IPV", 9: "dTpa", 10: "9vHPV", 11: "Influenza", 12: "Influenza", 13: "Influenza (adjuvanted)",
            14: "COVID-19 mRNA", 15: "COVID-19 mRNA", 16: "Zoster (recombinant)", 17: "23vPPV", 18: "MenB",
            19: "Hepatitis B", 20: "RSV"}


def generate_drugs() -> Iterator[Batch]:
    """Products, names, ingredients, drug classes, vaccines and the diseases they protect against."""
    yield Batch("PRODUCTNAMES", ("PRODUCTNAMEID", "PRODUCTNAME"),
                sorted({(p[1], p[2]) for p in c.PRODUCTS}))
    yield Batch("PRODUCTS", ("PRODUCTID", "PRODUCTNAMEID"), [(p[0], p[1]) for p in c.PRODUCTS])
    yield Batch("DRUGCLASSES", ("DRUGCLASSID", "DESCRIPTION"), list(c.DRUG_CLASSES))
    yield Batch("INGREDIENTS", ("INGREDIENTID", "INGREDIENTNAME"), [(i[0], i[1]) for i in c.INGREDIENTS])
    yield Batch("PRODUCT_INGREDIENT", ("PRODUCTID", "INGREDIENTID"), [(p[0], p[3]) for p in c.PRODUCTS])
    yield Batch("INGREDIENT_DRUGCLASS", ("INGREDIENTID", "DRUGCLASSID", "RECORDSTATUS"),
                [(i[0], i[2], 1) for i in c.INGREDIENTS])
    yield Batch("VACCINES", ("VACCINEID", "VACCINENAME", "ACIRCODE", "CHILDHOOD", "GENERIC"),
                [(v[0], v[1], v[2], v[3], _GENERIC[v[0]]) for v in c.VACCINES])
    yield Batch("VAXDISEASES", ("DISEASECODE", "DISEASENAME"), list(c.VAX_DISEASES))
    yield Batch("VACCINE_DISEASE", ("VACCINEID", "DISEASECODE"),
                [(v[0], disease) for v in c.VACCINES for disease in v[4]])
