"""The practice (PRACTICE, LOCATIONS, ROOMS) and its users (USERS): clinicians and front desk.

USERID 0 is a blank system row: PATIENTS.USERID (usual doctor) and other user
columns hold 0 for "none", and the foreign keys from PATIENTS to USERS need a row
to point at (as Bp's code-0 lookup rows). It is not an active user, so BPS_Users,
BP_GetAllUsers and the appointment book leave it out.
"""

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

PRACTICE_COLUMNS = ("PRACTICEID", "RECORDSTATUS", "PRACTICENAME", "HPIO", "ABN", "CREATED", "CREATEDBY", "COUNTRY")
LOCATION_COLUMNS = ("LOCATIONID", "RECORDSTATUS", "LOCATIONCODE", "LOCATIONNAME", "ADDRESS1", "ADDRESS2", "CITY",
                    "POSTCODE", "HPIO", "PHONE", "AHPHONE", "FAX", "EMAIL", "CREATED", "CREATEDBY", "ABN")
ROOM_COLUMNS = ("ROOMID", "LOCATIONID", "ROOMNAME")
USER_COLUMNS = ("USERID", "RECORDSTATUS", "USERSTATUS", "LOCATIONID", "HPII", "GROUPCODE", "TITLECODE", "SURNAME",
                "FIRSTNAME", "PASSWORD", "REGISTRATIONNO", "PRESCRIBERNO", "PROVIDERNO", "PHONE", "MOBILEPHONE",
                "EMAIL", "INACTIVEDATE", "APPOINTMENTS", "CREATED", "CREATEDBY", "UPDATED", "UPDATEDBY")


def display_name(title: str, first: str, surname: str) -> str:
    """'Title Firstname Surname' as Bp's views build a provider's name (no title: 'Firstname Surname')."""
    return f"{title} {first} {surname}".strip()


def make_practice(fake: Faker, rng: random.Random, created: datetime) -> tuple[Practice, list[Batch]]:
    """The PRACTICE row, one or two LOCATIONS."""
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
    domain = slug(name)[:40] + ".com.au"
    address = f"{rng.randint(1, 400)} {fake.street_name()}"[:50]
    phone = ids.landline_number(rng, state)
    abn = ids.abn(rng)
    stamp = sql_datetime(created)
    practice_row = (1, c.RECORD_CURRENT, name[:100], ids.hpio(rng), abn, stamp, 0, 1)
    locations = [(1, c.RECORD_CURRENT, 1, name[:100], address, "", city[:40], postcode, ids.hpio(rng), phone,
                  ids.landline_number(rng, state), ids.landline_number(rng, state), f"reception@{domain}", stamp, 0,
                  abn)]
    if rng.random() < 0.3:
        branch_city = fake.city()
        branch_address = f"{rng.randint(1, 400)} {fake.street_name()}"[:50]
        locations.append((2, c.RECORD_CURRENT, 2, f"{branch_city} Clinic"[:100], branch_address, "",
                          branch_city[:40], ids.postcode_near(rng, state, postcode), ids.hpio(rng),
                          ids.landline_number(rng, state), "", "", f"{slug(branch_city)}@{domain}", stamp, 0, abn))
    practice = Practice(name=name, state=state, postcode=postcode, city=city, domain=domain,
                        location_ids=tuple(row[0] for row in locations))
    return practice, [Batch("PRACTICE", PRACTICE_COLUMNS, [practice_row]),
                      Batch("LOCATIONS", LOCATION_COLUMNS, locations)]


@dataclass(frozen=True, slots=True)
class _StaffPlan:
    group: int
    title_code: int | None  # None: by sex


def clinician_count(rng: random.Random, patients: int) -> int:
    """6-10 clinicians, plus one for every 4,000 patients (a big list needs more doctors)."""
    return rng.randint(6, 10) + patients // 4000


def make_staff(fake: Faker, rng: random.Random, practice: Practice, patients: int, anchor: datetime,
               first_doctor: tuple[str, str] | None = None) -> tuple[Staff, list[Batch]]:
    """GPs (the first is the principal), maybe registrars, nurses, maybe allied health, and the front desk.

    ``first_doctor`` forces the first GP's (first name, surname); Bp's demo
    database has Dr Frederick Findacure. One former GP is inactive (USERSTATUS 2).
    """
    clinicians = clinician_count(rng, patients)
    nurses = rng.randint(1, 2) + patients // 15000
    registrars = rng.randint(0, 1) + patients // 30000
    allied = rng.randint(0, 1)
    gps = clinicians - nurses - registrars - allied
    plans = ([_StaffPlan(c.GROUP_PRINCIPAL, c.TITLE_DR)] + [_StaffPlan(c.GROUP_DOCTOR, c.TITLE_DR)] * (gps - 1)
             + [_StaffPlan(c.GROUP_REGISTRAR, c.TITLE_DR)] * registrars + [_StaffPlan(c.GROUP_NURSE, None)] * nurses
             + [_StaffPlan(c.GROUP_ALLIED, None)] * allied
             + [_StaffPlan(c.GROUP_RECEPTION, None)] * (rng.randint(2, 3) + patients // 10000)
             + [_StaffPlan(c.GROUP_MANAGER, None)])
    staff = Staff()
    titles = dict(c.LOOKUPS["TITLES"][1])
    rows = [(0, 0, c.USER_INVALID, practice.location_ids[0], None, c.GROUP_RECEPTION, c.TITLE_NONE, "", "", "", None,
             None, None, None, None, None, None, 0, c.INSTALLED, 0, None, None)]
    rooms = [(0, practice.location_ids[0], "")]  # ROOMID 0: no room (APPOINTMENTS.ROOMID is NOT NULL)
    location_char = rng.choice("0123456789")
    for user_id, plan in enumerate(plans, start=1):
        female = rng.random() < (0.9 if plan.group == c.GROUP_NURSE else 0.55)
        first = fake.first_name_female() if female else fake.first_name_male()
        surname = fake.last_name()
        if user_id == 1 and first_doctor is not None:
            first, surname, female = first_doctor[0], first_doctor[1], False
        title = plan.title_code
        if title is None:
            title = c.TITLE_MR if not female else rng.choice((c.TITLE_MS, c.TITLE_MS, c.TITLE_MRS))
        is_clinician = plan.group in c.CLINICAL_GROUPS
        doctor = plan.group in c.DOCTOR_GROUPS
        location_id = practice.location_ids[0] if rng.random() < 0.8 else rng.choice(practice.location_ids)
        registration = None
        if is_clinician:
            prefix = {c.GROUP_NURSE: "NMW", c.GROUP_ALLIED: rng.choice(("PHY", "PSY", "DIE"))}.get(plan.group, "MED")
            registration = prefix + f"{rng.randrange(10**10):010d}"
        created = between(rng, anchor - timedelta(days=3650), anchor - timedelta(days=60))
        room_id = 0
        if is_clinician:
            room_id = len(rooms)
            rooms.append((room_id, location_id, f"Room {room_id}" if plan.group != c.GROUP_NURSE else
                          f"Treatment room {room_id}"))
        rows.append((
            user_id, c.RECORD_CURRENT, c.USER_ACTIVE, location_id, ids.hpii(rng) if is_clinician else None,
            plan.group, title, surname, first, "", registration,
            f"{rng.randint(1000000, 9999999)}" if doctor else None,
            ids.provider_number(rng, location_char) if is_clinician else None,
            ids.landline_number(rng, practice.state), ids.mobile_number(rng) if is_clinician else None,
            f"{slug(first)}.{slug(surname)}@{practice.domain}"[:250], None, 1 if is_clinician else 0,
            sql_datetime(created), 0, sql_datetime(between(rng, created, anchor - timedelta(days=1))), 0,
        ))
        staff.members.append(StaffMember(user_id, plan.group, title, first, surname, location_id, is_clinician,
                                         room_id, display_name(titles[title], first, surname)))
    # A GP who has left: still USERS' row (old visits refer to them), but inactive.
    left = len(plans) + 1
    first, surname = fake.first_name_male(), fake.last_name()
    created = anchor - timedelta(days=3000)
    rows.append((left, c.RECORD_CURRENT, c.USER_INACTIVE, practice.location_ids[0], ids.hpii(rng), c.GROUP_DOCTOR,
                 c.TITLE_DR, surname, first, "", "MED" + f"{rng.randrange(10**10):010d}",
                 f"{rng.randint(1000000, 9999999)}", ids.provider_number(rng, location_char), None, None, None,
                 sql_datetime(anchor - timedelta(days=400)), 0, sql_datetime(created), 0,
                 sql_datetime(anchor - timedelta(days=400)), 0))
    # The user that online booking services write appointments as.
    online_id = left + 1
    rows.append((online_id, c.RECORD_CURRENT, c.USER_ACTIVE, practice.location_ids[0], None, c.GROUP_RECEPTION,
                 c.TITLE_NONE, "Bookings", "Online", "", None, None, None, None, None, None, None, 0,
                 sql_datetime(anchor - timedelta(days=900)), 0, sql_datetime(anchor - timedelta(days=900)), 0))
    staff.members.append(StaffMember(online_id, c.GROUP_RECEPTION, c.TITLE_NONE, "Online", "Bookings",
                                     practice.location_ids[0], False, 0, "Online Bookings"))
    staff.online_user = online_id
    return staff, [Batch("ROOMS", ROOM_COLUMNS, rooms), Batch("USERS", USER_COLUMNS, rows)]
