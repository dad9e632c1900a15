"""The practice's address book (CONTACTS, CONTACTDETAILS): specialists, labs, hospitals, allied health."""

from __future__ import annotations

import random
from datetime import datetime

from faker import Faker

from . import codes as c
from . import identifiers as ids
from .draw import slug
from .model import Batch, Practice, sql_datetime

CONTACT_COLUMNS = ("CONTACTID", "RECORDSTATUS", "CONTACTCODE", "TITLECODE", "FIRSTNAME", "SURNAME", "GREETING",
                   "CATEGORYCODE", "AHPHONE", "MOBILEPHONE", "PROVIDERNO", "ABN", "EMAIL", "URL", "COMMENT", "CREATED",
                   "CREATEDBY")
DETAIL_COLUMNS = ("RECORDID", "RECORDSTATUS", "CONTACTID", "ADDRESSCODE", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE",
                  "EMAIL", "PHONE", "FAX", "CREATED", "CREATEDBY")
_SPECIALTIES = ("Cardiologist", "Endocrinologist", "Dermatologist", "Orthopaedic surgeon", "Psychiatrist",
                "Paediatrician", "Gastroenterologist", "Obstetrician")
_ORGANISATIONS = ((3, "Harbourside Pathology"), (3, "Valley Pathology"), (4, "Metro Imaging"),
                  (5, "Harbour General Hospital"), (6, "Harbour Physio"), (7, "Main Street Pharmacy"))


def make_contacts(fake: Faker, rng: random.Random, practice: Practice, created: datetime) -> list[Batch]:
    contacts, details = [], []
    stamp = sql_datetime(created)

    def add(title: int, first: str, surname: str, greeting: str, category: int, comment: str, provider: bool) -> None:
        contact_id = len(contacts) + 1
        domain = slug(surname)[:30] + ".com.au"
        contacts.append((contact_id, c.RECORD_CURRENT, 0, title, first, surname, greeting, category,
                         ids.landline_number(rng, practice.state), ids.mobile_number(rng) if provider else "",
                         ids.provider_number(rng) if provider else "", ids.abn(rng), f"reception@{domain}",
                         f"https://www.{domain}", comment, stamp, 0))
        details.append((contact_id, c.RECORD_CURRENT, contact_id, 1, f"{rng.randint(1, 300)} {fake.street_name()}"[:60],
                        "", fake.city()[:40], ids.postcode_near(rng, practice.state, practice.postcode),
                        f"referrals@{domain}", ids.landline_number(rng, practice.state),
                        ids.landline_number(rng, practice.state), stamp, 0))

    for specialty in _SPECIALTIES:
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        surname = fake.last_name()
        add(c.TITLE_DR, first, surname, f"Dear Dr {surname}", 2, specialty, True)
    for category, name in _ORGANISATIONS:
        add(c.TITLE_NONE, "", name, "Dear Colleague", category, "", False)
    return [Batch("CONTACTS", CONTACT_COLUMNS, contacts), Batch("CONTACTDETAILS", DETAIL_COLUMNS, details)]
