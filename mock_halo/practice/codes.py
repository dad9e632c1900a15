"""Fixed reference data: the rows of Bp Premier's lookup tables and the clinical catalogues.

Everything here is constant (it does not depend on the seed or the anchor date), so
lookup tables are identical in every fake practice and integrators can hard-code
codes as they do against Bp Premier. What the public sources show is used as is
(appointment status 1 Booked and 10 Did not attend, DAYOFWEEK 1 = Sunday, the visit
type, smoking, alcohol, accommodation and lives-with codes, REPORTVALUES.BPCODE and
OBSERVATIONS.DATACODE numbers, the code-0 "none" rows); the rest (status numbers
other than 1 and 10, user groups, appointment type names, ...) is plausible
Australian general-practice content, listed in fixtures/bp_premier/README.md.
"""

from __future__ import annotations

from typing import Final

#: CREATED of rows that ship with Bp (lookups, appointment types): the install date.
INSTALLED: Final = "2019-01-01T00:00:00"

# -- codes the generator refers to by name -------------------------------------
SEX_NONE, SEX_MALE, SEX_FEMALE, SEX_INTERSEX, SEX_NOT_STATED = 0, 1, 2, 3, 4
STATUS_ACTIVE, STATUS_INACTIVE, STATUS_DECEASED = 1, 2, 3
RECORD_CURRENT, RECORD_DELETED = 1, 2
#: APPOINTMENTS.RECORDSTATUS of a cancelled booking (Bp only shows that it is no longer 1).
RECORD_CANCELLED = 2

#: APPOINTMENTCODES: the workflow status of an appointment (1 and 10 are Bp's; the rest follow the KB's order).
APPT_BOOKED, APPT_WAITING, APPT_WITH_DOCTOR, APPT_AT_BILLING, APPT_INVOICED, APPT_COMPLETED, APPT_PAID = 1, 2, 3, 4, 5, 6, 7
APPT_DNA = 10

TITLE_NONE, TITLE_MR, TITLE_MRS, TITLE_MS, TITLE_MISS, TITLE_MASTER, TITLE_DR, TITLE_PROF, TITLE_MX = range(9)

GROUP_PRINCIPAL, GROUP_DOCTOR, GROUP_REGISTRAR, GROUP_NURSE, GROUP_ALLIED, GROUP_RECEPTION, GROUP_MANAGER = range(1, 8)
DOCTOR_GROUPS: Final = frozenset({GROUP_PRINCIPAL, GROUP_DOCTOR, GROUP_REGISTRAR})
CLINICAL_GROUPS: Final = DOCTOR_GROUPS | {GROUP_NURSE, GROUP_ALLIED}

VISIT_SURGERY, VISIT_HOME, VISIT_RACF, VISIT_TELEPHONE, VISIT_NON_VISIT, VISIT_TELEHEALTH = 1, 2, 4, 5, 12, 13

TYPE_STANDARD, TYPE_LONG, TYPE_PROCEDURE, TYPE_NEW, TYPE_IMMUNISATION, TYPE_CARE_PLAN = 1, 2, 3, 4, 5, 6
TYPE_HEALTH_ASSESSMENT, TYPE_NURSE, TYPE_RECALL, TYPE_TELEHEALTH, TYPE_TELEPHONE = 7, 8, 9, 29, 30

USER_ACTIVE, USER_INACTIVE, USER_INVALID = 1, 2, 999

# -- lookup tables: (columns, rows) ---------------------------------------------
LOOKUPS: Final[dict[str, tuple[tuple[str, ...], list[tuple]]]] = {
    "YESNO": (("YESNOCODE", "YESNOWORD"), [(0, "No"), (1, "Yes")]),
    "NOYES": (("YESNOCODE", "YESNOWORD"), [(0, "No"), (1, "Yes")]),
    "YESNOBLANK": (("YESNOWORD", "YESNOCODE"), [("", 0), ("Yes", 1), ("No", 2)]),
    "YESNOUNKNOWN": (("YESNOCODE", "YESNOWORD"), [(0, "Unknown"), (1, "No"), (2, "Yes")]),
    "TITLES": (("TITLECODE", "TITLE"), [
        (TITLE_NONE, ""), (TITLE_MR, "Mr"), (TITLE_MRS, "Mrs"), (TITLE_MS, "Ms"), (TITLE_MISS, "Miss"),
        (TITLE_MASTER, "Master"), (TITLE_DR, "Dr"), (TITLE_PROF, "Prof"), (TITLE_MX, "Mx"), (9, "Rev"), (10, "Sr"),
        (11, "Sir"), (12, "Lady")]),
    "SEX": (("SEXCODE", "SEX"), [(SEX_NONE, ""), (SEX_MALE, "Male"), (SEX_FEMALE, "Female"),
                                 (SEX_INTERSEX, "Intersex"), (SEX_NOT_STATED, "Not stated")]),
    "PATIENTSTATUS": (("STATUSCODE", "STATUSTEXT"), [(STATUS_ACTIVE, "Active"), (STATUS_INACTIVE, "Inactive"),
                                                     (STATUS_DECEASED, "Deceased")]),
    "PENSIONTYPE": (("PENSIONCODE", "PENSIONTYPE"), [
        (0, ""), (1, "Age Pension"), (2, "Disability Support Pension"), (3, "Pensioner Concession Card"),
        (4, "Health Care Card"), (5, "Commonwealth Seniors Health Card"), (6, "Carer Payment")]),
    "DVATYPE": (("DVACODE", "DVATYPE"), [(0, ""), (1, "Gold"), (2, "White"), (3, "Orange")]),
    "ETHNICITY": (("ETHNICCODE", "ETHNICTYPE", "NZNAME", "ASCCEG", "LEVEL0", "LEVEL1", "LEVEL2", "LEVEL3", "LEVEL4"), [
        (0, "", None, 0, 0, 0, 0, 0, 0), (1, "Aboriginal", None, 1102, 0, 0, 0, 0, 0),
        (2, "Torres Strait Islander", None, 1104, 0, 0, 0, 0, 0),
        (3, "Aboriginal/Torres Strait Islander", None, 1102, 0, 0, 0, 0, 0),
        (4, "Not Aboriginal or Torres Strait Islander", None, 0, 0, 0, 0, 0, 0), (9, "Not stated", None, 0, 0, 0, 0, 0, 0)]),
    "MARITALSTATUS": (("MARITALSTATUSCODE", "MARITALSTATUSNAME"), [
        (0, ""), (1, "Single"), (2, "Married"), (3, "De facto"), (4, "Separated"), (5, "Divorced"), (6, "Widowed")]),
    "SEXUALITY": (("SEXUALITYCODE", "SEXUALITYNAME"), [
        (0, ""), (1, "Heterosexual"), (2, "Homosexual"), (3, "Bisexual"), (4, "Other")]),
    "SMOKINGSTATUS": (("SMOKINGCODE", "SMOKINGTEXT"), [(0, ""), (1, "Non smoker"), (2, "Ex smoker"), (3, "Smoker")]),
    "ALCOHOLSTATUS": (("ALCOHOLCODE", "ALCOHOLTEXT"), [
        (0, ""), (1, "Nil"), (2, "Occasional"), (3, "Moderate"), (4, "Heavy")]),
    "ACCOMODATION": (("ACCOMODATIONCODE", "ACCOMODATIONTEXT"), [
        (0, ""), (1, "Own home"), (2, "Relative's home"), (3, "Other private house"), (4, "Hostel"),
        (5, "Nursing home (RACF)"), (6, "Homeless"), (7, "Rental home")]),
    "LIVESWITH": (("LIVESWITHCODE", "LIVESWITHTEXT"), [
        (0, ""), (1, "Spouse"), (2, "Relative"), (3, "Friend"), (4, "Alone")]),
    "RELATIONS": (("RELATIONCODE", "RELATIONNAME"), [
        (1, "Father"), (2, "Mother"), (3, "Brother"), (4, "Sister"), (5, "Son"), (6, "Daughter"),
        (7, "Grandfather"), (8, "Grandmother"), (9, "Uncle"), (10, "Aunt")]),
    "DAYOFWEEK": (("DAYCODE", "DAY"), [
        (1, "Sunday"), (2, "Monday"), (3, "Tuesday"), (4, "Wednesday"), (5, "Thursday"), (6, "Friday"),
        (7, "Saturday")]),
    "HCHTIERS": (("TIERCODE", "TIERNAME"), [(0, ""), (1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3")]),
    "APPOINTMENTCODES": (("APPOINTMENTCODE", "DESCRIPTION"), [
        (APPT_BOOKED, "Booked"), (APPT_WAITING, "Waiting"), (APPT_WITH_DOCTOR, "With doctor"),
        (APPT_AT_BILLING, "At billing"), (APPT_INVOICED, "Invoiced"), (APPT_COMPLETED, "Completed"),
        (APPT_PAID, "Paid"), (APPT_DNA, "Did not attend")]),
    "APPOINTMENTTYPES": (("APPOINTMENTCODE", "RECORDSTATUS", "LISTORDER", "ICONINDEX", "APPOINTMENTLENGTH",
                          "DESCRIPTION", "CREATED", "CREATEDBY", "AU", "NZ"), [
        (TYPE_STANDARD, 1, 1, 0, 900, "Standard appointment", INSTALLED, 0, 1, 1),
        (TYPE_LONG, 1, 2, 0, 1800, "Long appointment", INSTALLED, 0, 1, 1),
        (TYPE_PROCEDURE, 1, 3, 0, 1800, "Procedure", INSTALLED, 0, 1, 1),
        (TYPE_NEW, 1, 4, 0, 1800, "New patient", INSTALLED, 0, 1, 1),
        (TYPE_IMMUNISATION, 1, 5, 0, 900, "Immunisation", INSTALLED, 0, 1, 1),
        (TYPE_CARE_PLAN, 1, 6, 0, 1800, "Care plan", INSTALLED, 0, 1, 1),
        (TYPE_HEALTH_ASSESSMENT, 1, 7, 0, 2700, "Health assessment", INSTALLED, 0, 1, 1),
        (TYPE_NURSE, 1, 8, 0, 900, "Nurse appointment", INSTALLED, 0, 1, 1),
        (TYPE_RECALL, 1, 9, 0, 900, "Recall", INSTALLED, 0, 1, 1),
        (TYPE_TELEHEALTH, 1, 10, 0, 900, "Telehealth consultation", INSTALLED, 0, 1, 1),
        (TYPE_TELEPHONE, 1, 11, 0, 900, "Telephone consultation", INSTALLED, 0, 1, 1)]),
    "VISITTYPE": (("VISITCODE", "VISITTYPE"), [
        (VISIT_SURGERY, "Surgery"), (VISIT_HOME, "Home"), (3, "Hospital"), (VISIT_RACF, "RACF"),
        (VISIT_TELEPHONE, "Telephone"), (6, "SMS"), (7, "Email"), (8, "Locum Service"), (9, "Out of Office"),
        (10, "Other"), (11, "Hostel"), (VISIT_NON_VISIT, "Non Visit"), (VISIT_TELEHEALTH, "Telehealth")]),
    "USERGROUPS": (("GROUPCODE", "GROUPNAME", "AU", "NZ"), [
        (GROUP_PRINCIPAL, "Principal doctor", 1, 1), (GROUP_DOCTOR, "Doctor", 1, 1), (GROUP_REGISTRAR, "Registrar", 1, 1),
        (GROUP_NURSE, "Nurse", 1, 1), (GROUP_ALLIED, "Allied health", 1, 1), (GROUP_RECEPTION, "Receptionist", 1, 1),
        (GROUP_MANAGER, "Practice manager", 1, 1)]),
    "CATEGORIES": (("CATEGORYCODE", "RECORDSTATUS", "CATEGORYTYPE", "CATEGORYNAME"), [
        (1, 1, 1, "General practitioner"), (2, 1, 1, "Specialist"), (3, 1, 2, "Pathology"), (4, 1, 2, "Radiology"),
        (5, 1, 3, "Hospital"), (6, 1, 1, "Allied health"), (7, 1, 3, "Pharmacy")]),
    "CANCELLATIONREASONS": (("REASONCODE", "RECORDSTATUS", "REASON"), [
        (1, 1, "Patient cancelled"), (2, 1, "Patient unwell"), (3, 1, "Practitioner unavailable"),
        (4, 1, "Booked in error"), (5, 1, "No longer required")]),
    # -- appendix lookups the views decode --------------------------------------------
    "ACTIVECODES": (("ACTIVECODE", "ACTIVESTATUS"), [(0, ""), (1, "Active"), (2, "Inactive")]),
    "BODYSIDE": (("SIDECODE", "SIDE"), [(0, ""), (1, "Left"), (2, "Right"), (3, "Bilateral")]),
    "SEVERITYCODES": (("SEVERITYCODE", "SEVERITY"), [(0, ""), (1, "Mild"), (2, "Moderate"), (3, "Severe")]),
    "FREQUENCYCODES": (("FREQUENCYCODE", "FREQUENCYTEXT"), [
        (0, ""), (1, "Once daily"), (2, "Twice daily"), (3, "Three times daily"), (4, "Four times daily"),
        (5, "When required"), (6, "Once weekly"), (7, "Every 6 months"), (8, "At night"), (9, "In the morning")]),
    "FOODCODES": (("FOODCODE", "FOODTEXT"), [(0, ""), (1, "With food"), (2, "Before food"), (3, "After food")]),
    "INSTRUCTIONCODES": (("INSTRUCTIONCODE", "INSTRUCTIONTEXT"), [
        (0, ""), (1, "Swallow whole"), (2, "Apply thinly"), (3, "Rinse mouth after use"), (4, "Shake well")]),
    "REMINDERREASONS": (("REMINDERREASONID", "RECORDSTATUS", "USERID", "REASONTEXT", "DEFAULTINTERVAL",
                         "INTERVALCODE", "USERINTERVAL", "USERINTERVALCODE", "REMINDERTYPEID",
                         "CLINICALLYSIGNIFICANT", "DISPLAYORDER", "AU", "NZ"), [
        (1, 1, 0, "Influenza vaccination", 1, 3, 1, 3, 1, 1, 1, 1, 1),
        (2, 1, 0, "Cervical screening test", 5, 3, 5, 3, 1, 1, 2, 1, 1),
        (3, 1, 0, "Diabetes review", 6, 2, 6, 2, 1, 1, 3, 1, 1),
        (4, 1, 0, "Blood pressure check", 6, 2, 6, 2, 1, 0, 4, 1, 1),
        (5, 1, 0, "Care plan review", 6, 2, 6, 2, 1, 1, 5, 1, 1),
        (6, 1, 0, "Results follow-up", 2, 1, 2, 1, 1, 1, 6, 1, 1),
        (7, 1, 0, "Skin check", 1, 3, 1, 3, 1, 0, 7, 1, 1)]),
}
#: REMINDERS.BATCHID 0 (not sent yet) needs the batch row 0, as the code-0 lookup rows do.
REMINDER_BATCH_COLUMNS: Final = ("BATCHID", "SENTDATE", "SENTTIME", "SENTBY", "CREATED", "CREATEDBY")

# -- clinical catalogues ----------------------------------------------------------------
#: Conditions (PASTHISTORY.ITEMCODE = BPS_History.ConditionID): (code, name, SNOMED CT-AU, minimum age,
#: probability at age 70).
CONDITIONS: Final[tuple[tuple[int, str, str, int, float], ...]] = (
    (1, "Hypertension", "38341003", 30, 0.45), (2, "Type 2 diabetes mellitus", "44054006", 35, 0.18),
    (3, "Asthma", "195967001", 2, 0.10), (4, "Hypercholesterolaemia", "13644009", 35, 0.35),
    (5, "Depression", "35489007", 15, 0.12), (6, "Hypothyroidism", "40930008", 25, 0.10),
    (7, "Gastro-oesophageal reflux disease", "235595009", 20, 0.15), (8, "Osteoarthritis", "396275006", 45, 0.30),
    (9, "Anxiety disorder", "197480006", 15, 0.10), (10, "Atrial fibrillation", "49436004", 55, 0.10),
    (11, "Chronic obstructive pulmonary disease", "13645005", 50, 0.08),
    (12, "Chronic kidney disease", "709044004", 55, 0.10), (13, "Obesity", "414916001", 18, 0.15),
    (14, "Migraine", "37796009", 15, 0.06), (15, "Eczema", "43116000", 0, 0.06),
    (16, "Appendicectomy", "80146002", 10, 0.05), (17, "Osteoporosis", "64859006", 55, 0.12),
    (18, "Gout", "90560007", 40, 0.06),
)
#: Conditions whose chance does not grow with age.
FLAT_RISK: Final = frozenset({3, 5, 9, 14, 15, 16})
#: Procedures rather than problems: recorded inactive (PASTHISTORY.STATUSCODE 2).
PROCEDURES: Final = frozenset({16})

#: BPSDrugs products: (PRODUCTID, PRODUCTNAMEID, product name, ingredient id, strength, form, pack unit).
PRODUCTS: Final[tuple[tuple[int, int, str, int, str, str, str], ...]] = (
    (1001, 501, "Coversyl", 1, "5 mg", "tablet", "tablet"), (1002, 502, "Norvasc", 2, "5 mg", "tablet", "tablet"),
    (1003, 503, "Avapro", 3, "150 mg", "tablet", "tablet"), (1004, 504, "Micardis", 4, "40 mg", "tablet", "tablet"),
    (1005, 505, "Diabex", 5, "500 mg", "tablet", "tablet"), (1006, 506, "Diabex XR", 5, "1000 mg", "tablet", "tablet"),
    (1007, 507, "Jardiance", 6, "10 mg", "tablet", "tablet"), (1008, 508, "Diamicron MR", 7, "30 mg", "tablet", "tablet"),
    (1009, 509, "Ventolin", 8, "100 mcg", "inhaler", "inhaler"),
    (1010, 510, "Symbicort Turbuhaler", 9, "200/6 mcg", "inhaler", "inhaler"),
    (1011, 511, "Seretide Accuhaler", 10, "250/25 mcg", "inhaler", "inhaler"),
    (1012, 512, "Lipitor", 11, "20 mg", "tablet", "tablet"), (1013, 513, "Crestor", 12, "10 mg", "tablet", "tablet"),
    (1014, 514, "Ezetrol", 13, "10 mg", "tablet", "tablet"), (1015, 515, "Zoloft", 14, "50 mg", "tablet", "tablet"),
    (1016, 516, "Lexapro", 15, "10 mg", "tablet", "tablet"), (1017, 517, "Efexor-XR", 16, "75 mg", "capsule", "capsule"),
    (1018, 518, "Eutroxsig", 17, "100 mcg", "tablet", "tablet"), (1019, 519, "Eutroxsig", 17, "50 mcg", "tablet", "tablet"),
    (1020, 520, "Somac", 18, "40 mg", "tablet", "tablet"), (1021, 521, "Nexium", 19, "20 mg", "tablet", "tablet"),
    (1022, 522, "Panadol Osteo", 20, "665 mg", "tablet", "tablet"), (1023, 523, "Mobic", 21, "15 mg", "tablet", "tablet"),
    (1024, 524, "Eliquis", 22, "5 mg", "tablet", "tablet"), (1025, 525, "Betaloc", 23, "50 mg", "tablet", "tablet"),
    (1026, 526, "Spiriva", 24, "18 mcg", "capsule", "capsule"), (1027, 527, "Imigran", 25, "50 mg", "tablet", "tablet"),
    (1028, 528, "Advantan", 26, "0.1%", "cream", "tube"), (1029, 529, "Prolia", 27, "60 mg", "injection", "syringe"),
    (1030, 530, "Fosamax", 28, "70 mg", "tablet", "tablet"), (1031, 531, "Zyloprim", 29, "300 mg", "tablet", "tablet"),
)
#: BPSDrugs ingredients: (INGREDIENTID, INGREDIENTNAME, DRUGCLASSID).
INGREDIENTS: Final[tuple[tuple[int, str, int], ...]] = (
    (1, "PERINDOPRIL ARGININE", 1), (2, "AMLODIPINE", 2), (3, "IRBESARTAN", 3), (4, "TELMISARTAN", 3),
    (5, "METFORMIN HYDROCHLORIDE", 4), (6, "EMPAGLIFLOZIN", 5), (7, "GLICLAZIDE", 6), (8, "SALBUTAMOL", 7),
    (9, "BUDESONIDE WITH FORMOTEROL", 8), (10, "FLUTICASONE WITH SALMETEROL", 8), (11, "ATORVASTATIN", 9),
    (12, "ROSUVASTATIN", 9), (13, "EZETIMIBE", 10), (14, "SERTRALINE", 11), (15, "ESCITALOPRAM", 11),
    (16, "VENLAFAXINE", 12), (17, "LEVOTHYROXINE SODIUM", 13), (18, "PANTOPRAZOLE", 14), (19, "ESOMEPRAZOLE", 14),
    (20, "PARACETAMOL", 15), (21, "MELOXICAM", 16), (22, "APIXABAN", 17), (23, "METOPROLOL TARTRATE", 18),
    (24, "TIOTROPIUM", 19), (25, "SUMATRIPTAN", 20), (26, "METHYLPREDNISOLONE ACEPONATE", 21),
    (27, "DENOSUMAB", 22), (28, "ALENDRONATE", 23), (29, "ALLOPURINOL", 24),
    (30, "PHENOXYMETHYLPENICILLIN", 25), (31, "AMOXICILLIN", 25), (32, "SULFAMETHOXAZOLE", 26), (33, "CODEINE", 27),
    (34, "ASPIRIN", 16), (35, "IBUPROFEN", 16), (36, "CEFALEXIN", 28),
)
#: BPSDrugs drug classes: (DRUGCLASSID, DESCRIPTION).
DRUG_CLASSES: Final[tuple[tuple[int, str], ...]] = (
    (1, "ACE inhibitors"), (2, "Calcium channel blockers"), (3, "Angiotensin II receptor antagonists"),
    (4, "Biguanides"), (5, "SGLT2 inhibitors"), (6, "Sulfonylureas"), (7, "Beta2 agonists, short-acting"),
    (8, "Corticosteroid and LABA combinations"), (9, "HMG-CoA reductase inhibitors"),
    (10, "Cholesterol absorption inhibitors"), (11, "Selective serotonin reuptake inhibitors"),
    (12, "Serotonin and noradrenaline reuptake inhibitors"), (13, "Thyroid hormones"), (14, "Proton pump inhibitors"),
    (15, "Analgesics, simple"), (16, "Non-steroidal anti-inflammatory drugs"), (17, "Factor Xa inhibitors"),
    (18, "Beta blockers"), (19, "Antimuscarinics, long-acting"), (20, "Triptans"), (21, "Corticosteroids, topical"),
    (22, "RANK ligand inhibitors"), (23, "Bisphosphonates"), (24, "Xanthine oxidase inhibitors"),
    (25, "Penicillins"), (26, "Sulfonamides"), (27, "Opioid analgesics"), (28, "Cephalosporins"),
)
#: Medicines per condition: (PRODUCTID, dose, FREQUENCYCODES code, quantity, repeats, prn).
DRUGS_FOR_CONDITION: Final[dict[int, tuple[tuple[int, str, int, int, int, int], ...]]] = {
    1: ((1001, "1 tablet", 1, 30, 5, 0), (1002, "1 tablet", 1, 30, 5, 0), (1003, "1 tablet", 1, 30, 5, 0),
        (1004, "1 tablet", 1, 28, 5, 0)),
    2: ((1005, "1 tablet", 2, 100, 5, 0), (1006, "1 tablet", 1, 60, 5, 0), (1007, "1 tablet", 1, 30, 5, 0),
        (1008, "1 tablet", 1, 100, 5, 0)),
    3: ((1009, "2 puffs", 5, 1, 5, 1), (1010, "1 puff", 2, 1, 5, 0), (1011, "1 puff", 2, 1, 5, 0)),
    4: ((1012, "1 tablet", 1, 30, 5, 0), (1013, "1 tablet", 1, 30, 5, 0), (1014, "1 tablet", 1, 30, 5, 0)),
    5: ((1015, "1 tablet", 1, 30, 5, 0), (1016, "1 tablet", 1, 28, 5, 0), (1017, "1 capsule", 1, 28, 5, 0)),
    6: ((1018, "1 tablet", 9, 200, 1, 0), (1019, "1 tablet", 9, 200, 1, 0)),
    7: ((1020, "1 tablet", 1, 30, 5, 0), (1021, "1 tablet", 1, 30, 5, 0)),
    8: ((1022, "2 tablets", 3, 192, 3, 0), (1023, "1 tablet", 1, 30, 2, 0)),
    9: ((1016, "1 tablet", 1, 28, 5, 0),),
    10: ((1024, "1 tablet", 2, 60, 5, 0), (1025, "1 tablet", 2, 100, 5, 0)),
    11: ((1026, "1 capsule", 1, 30, 5, 0), (1009, "2 puffs", 5, 1, 5, 1)),
    12: ((1003, "1 tablet", 1, 30, 5, 0),),
    14: ((1027, "1 tablet", 5, 4, 2, 1),),
    15: ((1028, "Apply thinly", 1, 1, 1, 0),),
    17: ((1029, "60 mg", 7, 1, 1, 0), (1030, "1 tablet", 6, 4, 5, 0)),
    18: ((1031, "1 tablet", 1, 60, 5, 0),),
}

#: Allergens: (REACTIONS.ITEMTYPE, ITEMCODE in BPSDrugs, item name). ITEMTYPE 1 = product name (PRODUCTNAMEID),
#: 2 = ingredient (INGREDIENTID), 3 = drug class (DRUGCLASSID); food and environment allergens are type 2 with
#: code 0 (no BPSDrugs entry).
ALLERGENS: Final[tuple[tuple[int, int, str], ...]] = (
    (3, 25, "Penicillins"), (2, 31, "AMOXICILLIN"), (3, 26, "Sulfonamides"), (2, 33, "CODEINE"),
    (2, 34, "ASPIRIN"), (2, 35, "IBUPROFEN"), (2, 36, "CEFALEXIN"), (2, 0, "Peanut"), (2, 0, "Tree nuts"),
    (2, 0, "Shellfish"), (2, 0, "Egg"), (2, 0, "Bee venom"), (2, 0, "Latex"), (2, 0, "House dust mite"),
)
REACTION_TEXTS: Final = ("Rash", "Hives", "Anaphylaxis", "Nausea", "Swelling", "Wheeze", "Vomiting")

#: BPSDrugs vaccines: (VACCINEID, VACCINENAME, ACIRCODE, childhood, disease codes).
VACCINES: Final[tuple[tuple[int, str, str, int, tuple[int, ...]], ...]] = (
    (1, "Infanrix hexa", "INFHEX", 1, (1, 2, 3, 4, 5, 6)), (2, "Prevenar 13", "PREV13", 1, (8,)),
    (3, "Rotarix", "ROTRIX", 1, (13,)), (4, "Nimenrix", "NIMENR", 1, (14,)), (5, "Priorix", "PRIRIX", 1, (9, 10, 11)),
    (6, "ActHIB", "ACTHIB", 1, (6,)), (7, "Priorix-Tetra", "PRTETR", 1, (9, 10, 11, 12)),
    (8, "Infanrix IPV", "IPVINF", 1, (2, 3, 4, 5)), (9, "Boostrix", "BOOSTX", 0, (2, 3, 4)),
    (10, "Gardasil 9", "GARDS9", 0, (15,)), (11, "Fluarix Tetra", "FLRIXT", 0, (7,)),
    (12, "Vaxigrip Tetra", "VAXGRT", 0, (7,)), (13, "Fluad Quad", "FLUADQ", 0, (30,)),
    (14, "Comirnaty", "COMIRN", 0, (18,)), (15, "Spikevax", "SPKVAX", 0, (18,)), (16, "Shingrix", "SHINGX", 0, (12,)),
    (17, "Pneumovax 23", "PNEU23", 0, (8,)), (18, "Bexsero", "BEXSRO", 1, (16,)), (19, "Engerix-B", "ENGERX", 0, (1,)),
    (20, "Abrysvo", "ABRYSV", 0, (19,)),
)
#: BPSDrugs VAXDISEASES (DISEASENAME is CHAR(30), with Bp's own spellings; 7 and 30 are both influenza).
VAX_DISEASES: Final[tuple[tuple[int, str], ...]] = (
    (1, "Hepatitis B"), (2, "Diphtheria"), (3, "Tetnus"), (4, "Pertussis"), (5, "Poliomyelitis"),
    (6, "Haemophilus influenzae type b"), (7, "Influenza"), (8, "Pneumococcus"), (9, "Measels"), (10, "Mumps"),
    (11, "Rubella"), (12, "Varicella-Zoster"), (13, "Rotavirus"), (14, "Meningococcus ACWY"), (15, "HPV"),
    (16, "Meningococcus B"), (18, "COVID-19"), (19, "RSV"), (20, "Tuberculosis"), (30, "Influenza"),
)

#: Investigations: (test name, weight, chance of an abnormal result, result lines). A result line is
#: (RESULTNAME, LOINC, BPCODE, units, low, high, decimals).
INVESTIGATION_TESTS: Final[tuple[tuple[str, int, float, tuple[tuple[str, str, int, str, float, float, int], ...]],
                                 ...]] = (
    ("Full blood count", 10, 0.12, (("Haemoglobin", "718-7", 0, "g/L", 115, 165, 0),
                                    ("White cell count", "6690-2", 0, "x10^9/L", 4.0, 11.0, 1),
                                    ("Platelets", "777-3", 0, "x10^9/L", 150, 400, 0))),
    ("Urea, electrolytes and creatinine", 9, 0.10, (("Sodium", "2951-2", 0, "mmol/L", 135, 145, 0),
                                                   ("Potassium", "2823-3", 0, "mmol/L", 3.5, 5.2, 1),
                                                   ("Creatinine", "2160-0", 6, "umol/L", 45, 110, 0),
                                                   ("eGFR", "33914-3", 16, "mL/min/1.73m2", 60, 120, 0))),
    ("Liver function tests", 7, 0.10, (("ALT", "1742-6", 0, "U/L", 5, 40, 0),
                                       ("Albumin", "1751-7", 0, "g/L", 35, 50, 0))),
    ("Lipid studies", 7, 0.30, (("Cholesterol", "2093-3", 2, "mmol/L", 3.0, 5.5, 1),
                                ("HDL cholesterol", "2085-9", 3, "mmol/L", 1.0, 2.2, 1),
                                ("LDL cholesterol", "13457-7", 4, "mmol/L", 1.5, 3.5, 1),
                                ("Triglycerides", "2571-8", 5, "mmol/L", 0.5, 2.0, 1))),
    ("HbA1c", 5, 0.25, (("HbA1c", "4548-4", 1, "%", 4.0, 6.0, 1), ("HbA1c (SI)", "59261-8", 19, "mmol/mol", 20, 42, 0))),
    ("Thyroid function tests", 5, 0.10, (("TSH", "3016-3", 0, "mIU/L", 0.4, 4.0, 2),)),
    ("Vitamin D", 4, 0.30, (("25-OH Vitamin D", "1989-3", 0, "nmol/L", 50, 150, 0),)),
    ("Iron studies", 4, 0.15, (("Ferritin", "2276-4", 0, "ug/L", 30, 300, 0),)),
    ("Urine albumin/creatinine ratio", 3, 0.20, (("Albumin/Creat Ratio", "14959-1", 17, "mg/mmol", 0.2, 2.5, 1),)),
    ("Fasting glucose", 3, 0.15, (("Glucose", "2345-7", 14, "mmol/L", 3.5, 5.5, 1),)),
    ("INR", 2, 0.40, (("INR", "6301-6", 12, "", 2.0, 3.0, 1),)),
    ("C-reactive protein", 3, 0.15, (("CRP", "1988-5", 0, "mg/L", 0.5, 5.0, 1),)),
    ("PSA", 2, 0.10, (("PSA", "2857-1", 0, "ug/L", 0.3, 4.0, 2),)),
    ("Chest X-ray", 2, 0.10, ()), ("Ultrasound abdomen", 2, 0.15, ()), ("ECG", 2, 0.10, ()),
    ("Cervical screening test", 3, 0.05, ()),
)
LABS: Final = ("Harbourside Pathology", "Coastal Diagnostics", "Metro Imaging", "Valley Pathology")
#: INVESTIGATIONS.ACTION (as BPS_Investigations shows them): 1 No action, 2 Discuss at next visit,
#: 6 Non-urgent appointment, 7 Urgent appointment.
INVESTIGATION_ACTIONS: Final = (1, 1, 1, 2, 6, 7)

#: Observations: (DATACODE, DATANAME). Codes as dMeasure documents them.
OBS_SYSTOLIC, OBS_DIASTOLIC, OBS_HEIGHT, OBS_WEIGHT, OBS_BMI, OBS_PULSE = 3, 4, 7, 8, 9, 2
OBSERVATION_NAMES: Final = {1: "Temperature", 2: "Pulse", 3: "Systolic", 4: "Diastolic", 6: "Blood glucose",
                            7: "Height", 8: "Weight", 9: "BMI", 17: "Waist"}

VISIT_REASONS: Final = (
    "Review", "Script renewal", "Results", "Cough", "Back pain", "Skin check", "Blood pressure check",
    "Sore throat", "Medical certificate", "Headache", "Follow-up", "Rash", "Ear pain", "Fatigue",
)
CORRESPONDENCE: Final = (
    ("Specialist", "Cardiology review", "Dr A Heartwell"), ("Specialist", "Endocrinology letter", "Dr S Glands"),
    ("Hospital", "Discharge summary", "Harbour General Hospital"), ("Radiology", "Ultrasound report", "Metro Imaging"),
    ("Allied health", "Physiotherapy progress report", "Harbour Physio"),
)
DAYS_AWAY_REASONS: Final = ("Annual leave", "Conference", "Personal leave", "Training")
