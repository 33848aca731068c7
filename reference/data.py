"""The reference tables as data. A migration loads them; staff edit them in admin afterwards.

Pay caps: arrêté of 5 September 2025 (CSP L6146-3), total cost excl. VAT. Amounts for an hour
apply pro rata of a shift's duration; physicians, dentists and pharmacists are capped per 24 h.
No cap is published for nursing assistants: their shifts are not capped (documented choice).
"""

from __future__ import annotations

from datetime import date

PROFESSIONS = [
    # code, short, label, still on ADELI
    ("10", "MED", "Médecin", False),
    ("21", "PHARM", "Pharmacien", False),
    ("35", "AS", "Aide-soignant", True),
    ("40", "DENT", "Chirurgien-dentiste", False),
    ("50", "SF", "Sage-femme", False),
    ("60", "IDE", "Infirmier", False),
    ("69", "ISP", "Infirmier psychiatrique", False),
    ("70", "KINE", "Masseur-kinésithérapeute", False),
    ("98", "MERM", "Manipulateur ERM", True),
]

SKILLS = [
    ("SM54", "Médecine générale", "10"),
    ("SM59", "Médecine d'urgence", "10"),
    ("SM02", "Anesthésie-réanimation", "10"),
    ("SM18", "Gériatrie", "10"),
    ("SM40", "Pédiatrie", "10"),
    ("SM42", "Psychiatrie", "10"),
    ("SM20", "Gynécologie-obstétrique", "10"),
    ("SI06", "Infirmier de bloc opératoire (IBODE)", "60"),
    ("SI07", "Infirmier anesthésiste (IADE)", "60"),
    ("SI08", "Puéricultrice", "60"),
]

ESTABLISHMENT_TYPES = [
    # code, label, sector, mobile
    ("CHU", "Centre hospitalier universitaire", "public", False),
    ("CH", "Centre hospitalier", "public", False),
    ("ESPIC", "Établissement privé d'intérêt collectif", "private_nonprofit", False),
    ("CLINIQUE", "Clinique privée", "private", False),
    ("EHPAD", "EHPAD", "medico_social", False),
    ("MOBILE", "Unité mobile de santé (Médicobus)", "mobile", True),
]

# French labels for a woman (civility « Madame »: professionals.models.profession_label), keyed by
# code; every profession is listed, the epicene ones with their one form. The labels above are the
# masculine forms, also used when the civility is not stated (no « Infirmier·ère »). English names
# are neutral and have no feminine.
FEMININE_LABELS = {
    "10": "Médecin",
    "21": "Pharmacienne",
    "35": "Aide-soignante",
    "40": "Chirurgienne-dentiste",
    "50": "Sage-femme",
    "60": "Infirmière",
    "69": "Infirmière psychiatrique",
    "70": "Masseuse-kinésithérapeute",
    "98": "Manipulatrice ERM",
}

# English names for the English interface (reference/models.py, LabelledReference, says why a
# column and not gettext). Keyed by code; a code missing here shows its French label.
ENGLISH_LABELS = {
    "profession": {
        "10": "Physician",
        "21": "Pharmacist",
        "35": "Nursing assistant",
        "40": "Dental surgeon",
        "50": "Midwife",
        "60": "Nurse",
        "69": "Psychiatric nurse",
        "70": "Physiotherapist",
        "98": "Radiographer (ERM)",
    },
    "skill": {
        "SM54": "General practice",
        "SM59": "Emergency medicine",
        "SM02": "Anaesthesia and intensive care",
        "SM18": "Geriatrics",
        "SM40": "Paediatrics",
        "SM42": "Psychiatry",
        "SM20": "Obstetrics and gynaecology",
        "SI06": "Operating theatre nurse (IBODE)",
        "SI07": "Nurse anaesthetist (IADE)",
        "SI08": "Paediatric nurse",
    },
    "establishmenttype": {
        "CHU": "University hospital",
        "CH": "Hospital",
        "ESPIC": "Private non-profit hospital (ESPIC)",
        "CLINIQUE": "Private clinic",
        "EHPAD": "Nursing home (EHPAD)",
        "MOBILE": "Mobile health unit (Médicobus)",
    },
}

ARRETE_2025 = "Arrêté du 5 septembre 2025 (CSP L6146-3)"
CAPS_FROM = date(2025, 9, 5)
PAY_CAPS = [
    # profession, skill, basis, amount, overseas amount
    ("10", None, "per_24h", "2681.00", "3752.00"),
    ("40", None, "per_24h", "2681.00", "3752.00"),
    ("21", None, "per_24h", "2681.00", "3752.00"),
    ("60", None, "per_hour", "54.00", None),
    ("69", None, "per_hour", "54.00", None),
    ("60", "SI06", "per_hour", "73.00", None),
    ("60", "SI07", "per_hour", "73.00", None),
    ("98", None, "per_hour", "56.00", None),
    ("70", None, "per_hour", "62.00", None),
    ("50", None, "per_hour", "78.00", None),
]

L6146_2 = "CSP L6146-2 : un professionnel libéral peut exercer à l'hôpital public sous convention approuvée par l'ARS"
PUBLIC_FIXED_TERM = (
    "Un infirmier, kinésithérapeute ou autre auxiliaire libéral ne peut exercer en service hospitalier public "
    "comme libéral : contrat à durée déterminée"
)
PRIVATE_LIBERAL = "Exercice libéral en établissement privé : contrat d'exercice (Code de la santé publique, L4113-9)"
AS_MEDICO_SOCIAL = (
    "Conseil d'État, 11 février 2025 : les aides-soignants indépendants ne peuvent pas intervenir "
    "en établissement social ou médico-social"
)


def _route(profession: str, establishment_type: str) -> tuple[str, str]:
    sector = {code: sector for code, _, sector, _ in ESTABLISHMENT_TYPES}[establishment_type]
    if sector == "public":
        if profession in {"10", "40", "50"}:
            return "convention_l6146_2", L6146_2
        return "fixed_term", PUBLIC_FIXED_TERM
    if sector == "medico_social" and profession == "35":
        return "forbidden", AS_MEDICO_SOCIAL
    return "liberal_service", PRIVATE_LIBERAL


CONTRACT_ROUTES = [
    (profession, etype, *_route(profession, etype)) for profession, *_ in PROFESSIONS for etype, *_ in ESTABLISHMENT_TYPES
]
