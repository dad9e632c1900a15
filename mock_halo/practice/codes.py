"""Fixed reference data: the rows of the lookup tables and the clinical catalogues.

Everything here is constant (it does not depend on the seed), so lookup tables
are identical in every fake practice and integrators can hard-code codes such as
``PATIENTSTATUS = 1`` or ``APPOINTMENTSTATUS = 5`` as they do against Bp Premier.
Values follow Bp Premier's wording where it is known (appointment statuses,
visit types, "Active"/"Inactive"/"Deceased"); the rest is plausible Australian
general-practice content.
"""

from __future__ import annotations

from typing import Final

# -- codes the generator refers to by name -------------------------------------
SEX_MALE, SEX_FEMALE, SEX_INTERSEX, SEX_NOT_STATED = 1, 2, 3, 4
GENDER_MAN, GENDER_WOMAN, GENDER_NON_BINARY, GENDER_OTHER, GENDER_NOT_STATED = 1, 2, 3, 4, 5
STATUS_ACTIVE, STATUS_INACTIVE, STATUS_DECEASED = 1, 2, 3
RECORD_CURRENT, RECORD_DELETED = 1, 2

APPT_BOOKED, APPT_WAITING, APPT_WITH_DOCTOR, APPT_AT_BILLING, APPT_COMPLETED, APPT_CANCELLED = 1, 2, 3, 4, 5, 6

TITLE_NONE, TITLE_MR, TITLE_MRS, TITLE_MS, TITLE_MISS, TITLE_MASTER, TITLE_DR, TITLE_PROF, TITLE_MX = range(9)

CAT_GP, CAT_REGISTRAR, CAT_NURSE, CAT_ALLIED, CAT_RECEPTION, CAT_MANAGER = 1, 2, 3, 4, 5, 6

VISIT_SURGERY, VISIT_HOME, VISIT_TELEPHONE, VISIT_TELEHEALTH, VISIT_RACF = 1, 2, 6, 13, 5

TYPE_STANDARD, TYPE_LONG, TYPE_NEW, TYPE_TELEHEALTH, TYPE_IMMUNISATION = 1, 2, 3, 4, 5
TYPE_PROCEDURE, TYPE_CARE_PLAN, TYPE_HEALTH_ASSESSMENT, TYPE_NURSE = 6, 7, 8, 9

# -- lookup table rows, in the DDL's column order ---------------------------------
LOOKUP_ROWS: Final[dict[str, list[tuple]]] = {
    "TITLES": [
        (TITLE_NONE, ""), (TITLE_MR, "Mr"), (TITLE_MRS, "Mrs"), (TITLE_MS, "Ms"), (TITLE_MISS, "Miss"),
        (TITLE_MASTER, "Master"), (TITLE_DR, "Dr"), (TITLE_PROF, "Prof"), (TITLE_MX, "Mx"), (9, "Rev"),
        (10, "Sr"), (11, "Sir"), (12, "Lady"),
    ],
    "SEXCODES": [
        (SEX_MALE, "Male"), (SEX_FEMALE, "Female"), (SEX_INTERSEX, "Intersex"), (SEX_NOT_STATED, "Not stated"),
    ],
    "GENDERCODES": [
        (GENDER_MAN, "Man"), (GENDER_WOMAN, "Woman"), (GENDER_NON_BINARY, "Non-binary"),
        (GENDER_OTHER, "Different term"), (GENDER_NOT_STATED, "Not stated"),
    ],
    "ETHNICCODES": [
        (1, "Aboriginal"), (2, "Torres Strait Islander"), (3, "Aboriginal and Torres Strait Islander"),
        (4, "Neither"), (9, "Not stated"),
    ],
    "PATIENTSTATUSCODES": [(STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive"), (STATUS_DECEASED, "Deceased")],
    "PENSIONCODES": [
        (1, "Age Pension"), (2, "Disability Support Pension"), (3, "Pensioner Concession Card"),
        (4, "Health Care Card"), (5, "Commonwealth Seniors Health Card"), (6, "Carer Payment"),
    ],
    "DVACODES": [(1, "Gold card"), (2, "White card"), (3, "Orange card")],
    "RELIGIONS": [
        (1, "Catholic"), (2, "Anglican"), (3, "Uniting Church"), (4, "Presbyterian"), (5, "Greek Orthodox"),
        (6, "Baptist"), (7, "Lutheran"), (8, "Islam"), (9, "Buddhism"), (10, "Hinduism"), (11, "Judaism"),
        (12, "Sikhism"), (13, "No religion"), (14, "Other"),
    ],
    "HEALTHFUNDS": [
        (1, "Medibank"), (2, "Bupa"), (3, "HCF"), (4, "nib"), (5, "HBF"), (6, "Australian Unity"),
        (7, "GMHBA"), (8, "Teachers Health"), (9, "Defence Health"), (10, "CBHS Health Fund"),
        (11, "Westfund"), (12, "Peoplecare"),
    ],
    "USERCATEGORIES": [
        (CAT_GP, "General practitioner", 1), (CAT_REGISTRAR, "GP registrar", 1), (CAT_NURSE, "Practice nurse", 1),
        (CAT_ALLIED, "Allied health", 1), (CAT_RECEPTION, "Receptionist", 0), (CAT_MANAGER, "Practice manager", 0),
    ],
    "APPOINTMENTTYPES": [
        (TYPE_STANDARD, 1, "Standard appointment", 900), (TYPE_LONG, 1, "Long appointment", 1800),
        (TYPE_NEW, 1, "New patient", 1800), (TYPE_TELEHEALTH, 1, "Telehealth", 900),
        (TYPE_IMMUNISATION, 1, "Immunisation", 900), (TYPE_PROCEDURE, 1, "Procedure", 1800),
        (TYPE_CARE_PLAN, 1, "Care plan", 1800), (TYPE_HEALTH_ASSESSMENT, 1, "Health assessment", 2700),
        (TYPE_NURSE, 1, "Nurse appointment", 900),
    ],
    "APPOINTMENTSTATUSCODES": [
        (APPT_BOOKED, "Booked"), (APPT_WAITING, "Waiting"), (APPT_WITH_DOCTOR, "With doctor"),
        (APPT_AT_BILLING, "At billing"), (APPT_COMPLETED, "Completed"), (APPT_CANCELLED, "Cancelled"),
    ],
    "VISITCODES": [
        (VISIT_SURGERY, "Surgery"), (VISIT_HOME, "Home"), (3, "Non Visit"), (4, "Hospital"), (VISIT_RACF, "RACF"),
        (VISIT_TELEPHONE, "Telephone"), (7, "SMS"), (8, "Email"), (9, "Locum Service"), (10, "Out of Office"),
        (11, "Other"), (12, "Hostel"), (VISIT_TELEHEALTH, "Telehealth"),
    ],
    "VACCINES": [
        (1, "Infanrix hexa", "Diphtheria, tetanus, pertussis, hepatitis B, polio, Hib"),
        (2, "Prevenar 13", "Pneumococcal"),
        (3, "Rotarix", "Rotavirus"),
        (4, "Nimenrix", "Meningococcal ACWY"),
        (5, "Priorix", "Measles, mumps, rubella"),
        (6, "ActHIB", "Haemophilus influenzae type b"),
        (7, "Priorix-Tetra", "Measles, mumps, rubella, varicella"),
        (8, "Infanrix IPV", "Diphtheria, tetanus, pertussis, polio"),
        (9, "Boostrix", "Diphtheria, tetanus, pertussis"),
        (10, "Gardasil 9", "Human papillomavirus"),
        (11, "Fluarix Tetra", "Influenza"),
        (12, "Vaxigrip Tetra", "Influenza"),
        (13, "Fluad Quad", "Influenza"),
        (14, "Comirnaty", "COVID-19"),
        (15, "Spikevax", "COVID-19"),
        (16, "Shingrix", "Herpes zoster"),
        (17, "Pneumovax 23", "Pneumococcal"),
        (18, "Bexsero", "Meningococcal B"),
        (19, "Engerix-B", "Hepatitis B"),
        (20, "Abrysvo", "Respiratory syncytial virus"),
    ],
    "CONDITIONS": [
        (1, "Hypertension", "38341003"), (2, "Type 2 diabetes mellitus", "44054006"),
        (3, "Asthma", "195967001"), (4, "Hypercholesterolaemia", "13644009"),
        (5, "Depression", "35489007"), (6, "Hypothyroidism", "40930008"),
        (7, "Gastro-oesophageal reflux disease", "235595009"), (8, "Osteoarthritis", "396275006"),
        (9, "Anxiety disorder", "197480006"), (10, "Atrial fibrillation", "49436004"),
        (11, "Chronic obstructive pulmonary disease", "13645005"), (12, "Chronic kidney disease", "709044004"),
        (13, "Obesity", "414916001"), (14, "Migraine", "37796009"), (15, "Eczema", "43116000"),
        (16, "Appendicectomy", "80146002"), (17, "Osteoporosis", "64859006"), (18, "Gout", "90560007"),
    ],
    "ALLERGIES": [
        (1, "Penicillin", "Drug"), (2, "Amoxicillin", "Drug"), (3, "Sulfonamides", "Drug"), (4, "Codeine", "Drug"),
        (5, "Aspirin", "Drug"), (6, "Ibuprofen", "Drug"), (7, "Cephalexin", "Drug"), (8, "Peanut", "Food"),
        (9, "Tree nuts", "Food"), (10, "Shellfish", "Food"), (11, "Egg", "Food"), (12, "Cow's milk", "Food"),
        (13, "Bee venom", "Environment"), (14, "Latex", "Environment"), (15, "House dust mite", "Environment"),
    ],
}

#: Column order of the lookup rows above.
LOOKUP_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "TITLES": ("TITLECODE", "TITLE"),
    "SEXCODES": ("SEXCODE", "SEXNAME"),
    "GENDERCODES": ("GENDERCODE", "GENDERNAME"),
    "ETHNICCODES": ("ETHNICCODE", "ETHNICNAME"),
    "PATIENTSTATUSCODES": ("STATUSCODE", "STATUSTEXT"),
    "PENSIONCODES": ("PENSIONCODE", "PENSIONNAME"),
    "DVACODES": ("DVACODE", "DVANAME"),
    "RELIGIONS": ("RELIGIONCODE", "RELIGIONNAME"),
    "HEALTHFUNDS": ("HEALTHFUNDID", "FUNDNAME"),
    "USERCATEGORIES": ("CATEGORYCODE", "CATEGORYNAME", "ISPROVIDER"),
    "APPOINTMENTTYPES": ("APPOINTMENTCODE", "RECORDSTATUS", "DESCRIPTION", "DEFAULTLENGTH"),
    "APPOINTMENTSTATUSCODES": ("STATUSCODE", "STATUSTEXT"),
    "VISITCODES": ("VISITCODE", "VISITTYPE"),
    "VACCINES": ("VACCINEID", "VACCINENAME", "TARGETDISEASE"),
    "CONDITIONS": ("CONDITIONID", "CONDITIONNAME", "SNOMEDCODE"),
    "ALLERGIES": ("ALLERGENID", "ALLERGENNAME", "ALLERGENCLASS"),
}

#: Conditions by id, with the chance (per decade of age, capped) a patient has it.
#: (condition id, minimum age, probability at age 70)
CONDITION_RISK: Final[tuple[tuple[int, int, float], ...]] = (
    (1, 30, 0.45), (2, 35, 0.18), (3, 2, 0.10), (4, 35, 0.35), (5, 15, 0.12), (6, 25, 0.10),
    (7, 20, 0.15), (8, 45, 0.30), (9, 15, 0.10), (10, 55, 0.10), (11, 50, 0.08), (12, 55, 0.10),
    (13, 18, 0.15), (14, 15, 0.06), (15, 0, 0.06), (16, 10, 0.05), (17, 55, 0.12), (18, 40, 0.06),
)

#: Medicines per condition: (drug name, dose, frequency, route, quantity, repeats, prn).
DRUGS_FOR_CONDITION: Final[dict[int, tuple[tuple[str, str, str, str, int, int, int], ...]]] = {
    1: (("Perindopril 5 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Amlodipine 5 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Irbesartan 150 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Telmisartan 40 mg tablet", "1 tablet", "Once daily", "Oral", 28, 5, 0)),
    2: (("Metformin 500 mg tablet", "1 tablet", "Twice daily", "Oral", 100, 5, 0),
        ("Metformin XR 1000 mg tablet", "1 tablet", "Once daily", "Oral", 60, 5, 0),
        ("Empagliflozin 10 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Gliclazide MR 30 mg tablet", "1 tablet", "Once daily", "Oral", 100, 5, 0)),
    3: (("Salbutamol 100 mcg inhaler", "2 puffs", "When required", "Inhalation", 1, 5, 1),
        ("Budesonide/formoterol 200/6 mcg inhaler", "1 puff", "Twice daily", "Inhalation", 1, 5, 0),
        ("Fluticasone/salmeterol 250/25 mcg inhaler", "1 puff", "Twice daily", "Inhalation", 1, 5, 0)),
    4: (("Atorvastatin 20 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Rosuvastatin 10 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Ezetimibe 10 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0)),
    5: (("Sertraline 50 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Escitalopram 10 mg tablet", "1 tablet", "Once daily", "Oral", 28, 5, 0),
        ("Venlafaxine 75 mg capsule", "1 capsule", "Once daily", "Oral", 28, 5, 0)),
    6: (("Levothyroxine 100 mcg tablet", "1 tablet", "Once daily", "Oral", 200, 1, 0),
        ("Levothyroxine 50 mcg tablet", "1 tablet", "Once daily", "Oral", 200, 1, 0)),
    7: (("Pantoprazole 40 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),
        ("Esomeprazole 20 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0)),
    8: (("Paracetamol 665 mg modified release tablet", "2 tablets", "Three times daily", "Oral", 192, 3, 0),
        ("Meloxicam 15 mg tablet", "1 tablet", "Once daily", "Oral", 30, 2, 0)),
    9: (("Escitalopram 10 mg tablet", "1 tablet", "Once daily", "Oral", 28, 5, 0),),
    10: (("Apixaban 5 mg tablet", "1 tablet", "Twice daily", "Oral", 60, 5, 0),
         ("Metoprolol 50 mg tablet", "1 tablet", "Twice daily", "Oral", 100, 5, 0)),
    11: (("Tiotropium 18 mcg inhalation capsule", "1 capsule", "Once daily", "Inhalation", 30, 5, 0),
         ("Salbutamol 100 mcg inhaler", "2 puffs", "When required", "Inhalation", 1, 5, 1)),
    12: (("Irbesartan 150 mg tablet", "1 tablet", "Once daily", "Oral", 30, 5, 0),),
    14: (("Sumatriptan 50 mg tablet", "1 tablet", "When required", "Oral", 4, 2, 1),),
    15: (("Methylprednisolone aceponate 0.1% cream", "Apply thinly", "Once daily", "Topical", 1, 1, 0),),
    17: (("Denosumab 60 mg injection", "60 mg", "Every 6 months", "Subcutaneous", 1, 1, 0),
         ("Alendronate 70 mg tablet", "1 tablet", "Once weekly", "Oral", 4, 5, 0)),
    18: (("Allopurinol 300 mg tablet", "1 tablet", "Once daily", "Oral", 60, 5, 0),),
}

#: Investigations: (test name, weight, chance of an abnormal result).
INVESTIGATION_TESTS: Final[tuple[tuple[str, int, float], ...]] = (
    ("Full blood count", 10, 0.12), ("Urea, electrolytes and creatinine", 9, 0.10),
    ("Liver function tests", 7, 0.10), ("Lipid studies", 7, 0.30), ("HbA1c", 5, 0.25),
    ("Thyroid function tests", 5, 0.10), ("Vitamin D", 4, 0.30), ("Iron studies", 4, 0.15),
    ("Urine microscopy and culture", 4, 0.20), ("C-reactive protein", 3, 0.15),
    ("Chest X-ray", 2, 0.10), ("Ultrasound abdomen", 2, 0.15), ("ECG", 2, 0.10),
    ("Cervical screening test", 3, 0.05), ("Faecal occult blood test", 2, 0.05),
    ("B12 and folate", 2, 0.10), ("PSA", 2, 0.10),
)
INVESTIGATION_ACTIONS: Final[tuple[str, ...]] = (
    "No action", "No action", "No action", "Non-urgent appointment", "Urgent appointment", "Recall patient",
)
LABS: Final[tuple[str, ...]] = ("Harbourside Pathology", "Coastal Diagnostics", "Metro Imaging", "Valley Pathology")

REACTION_TEXTS: Final[tuple[str, ...]] = ("Rash", "Hives", "Anaphylaxis", "Nausea", "Swelling", "Wheeze", "Vomiting")
SEVERITIES: Final[tuple[str, ...]] = ("Mild", "Mild", "Moderate", "Moderate", "Severe")

VISIT_REASONS: Final[tuple[str, ...]] = (
    "Review", "Script renewal", "Results", "Cough", "Back pain", "Skin check", "Blood pressure check",
    "Sore throat", "Medical certificate", "Headache", "Follow-up", "Rash", "Ear pain", "Fatigue",
)

INJECTION_SITES: Final[tuple[str, ...]] = ("Left deltoid", "Right deltoid", "Left thigh", "Right thigh", "Oral")

#: Australian public holidays inside the default appointment-book window (closed days).
PUBLIC_HOLIDAYS: Final[frozenset[str]] = frozenset({
    "2025-12-25", "2025-12-26", "2026-01-01", "2026-01-26", "2025-01-01", "2025-01-27", "2025-04-18",
    "2025-04-21", "2025-04-25", "2026-04-03", "2026-04-06", "2026-04-27",
})
