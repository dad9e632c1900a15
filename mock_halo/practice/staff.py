"""The practice (PRACTICE, LOCATIONS) and its users (USERS): clinicians and front desk."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker

from . import codes as c
from . import identifiers as ids
from .draw import between, slug, weighted
from .model import Batch, Practice, Staff, StaffMember, sql_datetime

STATES_BY_POPULATION = (("NSW", 31), ("VIC", 26), ("QLD", 20), ("WA", 11), ("SA", 7), ("TAS", 2), ("ACT", 2), ("NT", 1))

PRACTICE_COLUMNS = ("PRACTICEID", "PRACTICENAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE", "PHONE", "FAX",
                    "EMAIL", "ABN", "HPIO")
LOCATION_COLUMNS = ("LOCATIONID", "RECORDSTATUS", "LOCATIONNAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE",
                    "PHONE", "FAX")
USER_COLUMNS = ("USERID", "RECORDSTATUS", "TITLECODE", "FIRSTNAME", "SURNAME", "LOGINNAME", "CATEGORYCODE", "SEXCODE",
                "PROVIDERNO", "PRESCRIBERNO", "HPII", "AHPRANO", "LOCATIONID", "EMAIL", "APPOINTMENTBOOK", "CREATED",
                "UPDATED")

def make_practice(fake: Faker, rng: random.Random) -> tuple[Practice, list[Batch]]:
    """The PRACTICE row and one or two LOCATIONS."""
    state = weighted(rng, STATES_BY_POPULATION)
    city = fake.city()
    postcode = ids.postcode_in_state(rng, state)
    style = rng.randrange(3)
    if style == 0:
        name = f"{city} Medical Centre"
    elif style == 1:
        name = f"{fake.last_name()} Street Family Practice"
    else:
        name = f"{city} General Practice"
    name = name[:100]
    domain = slug(name)[:40] + ".com.au"
    address = f"{rng.randint(1, 400)} {fake.street_name()}"[:40]
    phone = ids.landline_number(rng, state)
    fax = ids.landline_number(rng, state)
    practice_row = (1, name, address, "", city, postcode, state, phone, fax, f"reception@{domain}", ids.abn(rng),
                    ids.hpio(rng))
    locations = [(1, c.RECORD_CURRENT, name[:60], address, "", city, postcode, state, phone, fax)]
    if rng.random() < 0.3:
        branch_city = fake.city()
        branch_address = f"{rng.randint(1, 400)} {fake.street_name()}"[:40]
        locations.append((2, c.RECORD_CURRENT, f"{branch_city} Clinic"[:60], branch_address, "", branch_city,
                          ids.postcode_near(rng, state, postcode), state, ids.landline_number(rng, state), ""))
    practice = Practice(name=name, state=state, postcode=postcode, city=city, domain=domain,
                        location_ids=tuple(row[0] for row in locations))
    return practice, [Batch("PRACTICE", PRACTICE_COLUMNS, [practice_row]),
                      Batch("LOCATIONS", LOCATION_COLUMNS, locations)]


@dataclass(frozen=True, slots=True)
class _StaffPlan:
    category: int
    title_code: int | None  # None: by sex


def make_staff(fake: Faker, rng: random.Random, practice: Practice, reference: datetime,
               first_doctor: tuple[str, str] | None = None) -> tuple[Staff, Batch]:
    """6-10 clinicians (GPs, maybe a registrar, nurses, maybe allied health) and front-desk users.

    ``first_doctor`` forces the first GP's (first name, surname); Bp's demo
    database has Dr Frederick Findacure.
    """
    clinicians = rng.randint(6, 10)
    nurses = rng.randint(1, 2)
    registrars = rng.randint(0, 1)
    allied = rng.randint(0, 1)
    gps = clinicians - nurses - registrars - allied
    plans = ([_StaffPlan(c.CAT_GP, c.TITLE_DR)] * gps + [_StaffPlan(c.CAT_REGISTRAR, c.TITLE_DR)] * registrars
             + [_StaffPlan(c.CAT_NURSE, None)] * nurses + [_StaffPlan(c.CAT_ALLIED, None)] * allied
             + [_StaffPlan(c.CAT_RECEPTION, None)] * rng.randint(2, 3) + [_StaffPlan(c.CAT_MANAGER, None)])
    staff = Staff()
    rows = []
    location_char = rng.choice("0123456789")
    for user_id, plan in enumerate(plans, start=1):
        sex = c.SEX_FEMALE if rng.random() < (0.9 if plan.category == c.CAT_NURSE else 0.55) else c.SEX_MALE
        first = fake.first_name_female() if sex == c.SEX_FEMALE else fake.first_name_male()
        surname = fake.last_name()
        if user_id == 1 and first_doctor is not None:
            first, surname, sex = first_doctor[0], first_doctor[1], c.SEX_MALE
        title = plan.title_code
        if title is None:
            title = c.TITLE_MR if sex == c.SEX_MALE else rng.choice((c.TITLE_MS, c.TITLE_MS, c.TITLE_MRS))
        is_clinician = plan.category in (c.CAT_GP, c.CAT_REGISTRAR, c.CAT_NURSE, c.CAT_ALLIED)
        doctor = plan.category in (c.CAT_GP, c.CAT_REGISTRAR)
        location_id = practice.location_ids[0] if rng.random() < 0.8 else rng.choice(practice.location_ids)
        ahpra = ""
        if is_clinician:
            prefix = {c.CAT_NURSE: "NMW", c.CAT_ALLIED: rng.choice(("PHY", "PSY", "DIE"))}.get(plan.category, "MED")
            ahpra = prefix + f"{rng.randrange(10**10):010d}"
        created = between(rng, reference - timedelta(days=3650), reference - timedelta(days=60))
        rows.append((
            user_id, c.RECORD_CURRENT, title, first, surname, slug(first[0] + surname)[:30], plan.category, sex,
            ids.provider_number(rng, location_char) if is_clinician else "",
            f"{rng.randint(1000000, 9999999)}" if doctor else "",
            ids.hpii(rng) if is_clinician else "", ahpra, location_id,
            f"{slug(first)}.{slug(surname)}@{practice.domain}"[:100], 1 if is_clinician else 0,
            sql_datetime(created), sql_datetime(between(rng, created, reference - timedelta(days=1))),
        ))
        staff.members.append(StaffMember(user_id, plan.category, title, first, surname, location_id, is_clinician))
    # The user that online booking services write appointments as.
    online_id = len(plans) + 1
    rows.append((online_id, c.RECORD_CURRENT, c.TITLE_NONE, "Online", "Bookings", "onlinebookings", c.CAT_RECEPTION,
                 None, "", "", "", "", practice.location_ids[0], "", 0, sql_datetime(reference - timedelta(days=900)),
                 sql_datetime(reference - timedelta(days=900))))
    staff.members.append(StaffMember(online_id, c.CAT_RECEPTION, c.TITLE_NONE, "Online", "Bookings",
                                     practice.location_ids[0], False))
    staff.online_user = online_id
    return staff, Batch("USERS", USER_COLUMNS, rows)
