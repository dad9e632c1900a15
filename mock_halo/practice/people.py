"""The practice, its staff and its patients (Faker en_AU for names and places).

Patients come in households (single adults, couples, families, single parents)
that share a surname, an address, a landline, a health fund and a Medicare card
(one IRN per member), as on a real card. Ages therefore spread from newborns to
100 with adults weighted like an Australian general practice list.

Faker's en_AU provider invents suburbs ("Port Roychester") and its postcodes do
not match suburbs or states. Here postcodes are drawn from the practice state's
real ranges (most patients live near the practice), but the suburb names stay
invented: good enough for a mock, never a real address.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from faker import Faker

from . import codes as c
from . import identifiers as ids
from .model import Batch, PatientSummary, Practice, Staff, StaffMember, sql_datetime, sql_midnight

STATES_BY_POPULATION = (("NSW", 31), ("VIC", 26), ("QLD", 20), ("WA", 11), ("SA", 7), ("TAS", 2), ("ACT", 2), ("NT", 1))
#: Adult age bands (low, high, weight) for people heading a household.
ADULT_AGE_BANDS = ((18, 29, 13), (30, 39, 14), (40, 49, 14), (50, 59, 15), (60, 69, 16), (70, 79, 14), (80, 89, 8),
                   (90, 100, 3))

PRACTICE_COLUMNS = ("PRACTICEID", "PRACTICENAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE", "PHONE", "FAX",
                    "EMAIL", "ABN", "HPIO")
LOCATION_COLUMNS = ("LOCATIONID", "RECORDSTATUS", "LOCATIONNAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE",
                    "PHONE", "FAX")
USER_COLUMNS = ("USERID", "RECORDSTATUS", "TITLECODE", "FIRSTNAME", "SURNAME", "LOGINNAME", "CATEGORYCODE", "SEXCODE",
                "PROVIDERNO", "PRESCRIBERNO", "HPII", "AHPRANO", "LOCATIONID", "EMAIL", "APPOINTMENTBOOK", "CREATED",
                "UPDATED")
PATIENT_COLUMNS = (
    "INTERNALID", "EXTERNALID", "RECORDSTATUS", "PATIENTSTATUS", "TITLECODE", "FIRSTNAME", "MIDDLENAME", "SURNAME",
    "PREFERREDNAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE", "POSTALADDRESS", "POSTALCITY",
    "POSTALPOSTCODE", "DOB", "SEXCODE", "GENDERCODE", "ETHNICCODE", "HOMEPHONE", "WORKPHONE", "MOBILEPHONE", "EMAIL",
    "MEDICARENO", "MEDICARELINENO", "MEDICAREEXPIRY", "PENSIONCODE", "PENSIONNO", "PENSIONSTART", "PENSIONEXPIRY",
    "DVACODE", "DVANO", "SAFETYNETNO", "RECORDNO", "HCHTIER", "HCHSTART", "RELIGIONCODE", "HEALTHFUNDID",
    "HEALTHFUNDNO", "IHI", "USUALDOCTOR", "DECEASEDDATE", "CREATED", "CREATEDBY", "UPDATED", "UPDATEDBY",
)

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _weighted(rng: random.Random, pairs: tuple[tuple[object, int], ...]) -> object:
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def _slug(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def _years_before(d: date, years: int, rng: random.Random) -> date:
    """A date ``years`` full years (plus up to 364 days) before ``d``: an age of exactly ``years``."""
    try:
        anchor = d.replace(year=d.year - years)
    except ValueError:  # 29 February
        anchor = d.replace(year=d.year - years, day=28)
    return anchor - timedelta(days=rng.randrange(365))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in [start, end] (start when the range is empty)."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(span + 1)) if span > 0 else start


# -- practice and staff ------------------------------------------------------
def make_practice(fake: Faker, rng: random.Random) -> tuple[Practice, list[Batch]]:
    """The PRACTICE row and one or two LOCATIONS."""
    state = str(_weighted(rng, STATES_BY_POPULATION))
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
    domain = _slug(name)[:40] + ".com.au"
    address = f"{rng.randint(1, 400)} {fake.street_name()}"[:40]
    phone = ids.landline_number(rng, state)
    fax = ids.landline_number(rng, state)
    practice_row = (1, name, address, "", city, postcode, state, phone, fax, f"reception@{domain}", ids.abn(rng),
                    ids.hpio(rng))
    locations = [(1, c.RECORD_CURRENT, name[:60], address, "", city, postcode, state, phone, fax)]
    if rng.random() < 0.3:
        branch_city = fake.city()
        locations.append((2, c.RECORD_CURRENT, f"{branch_city} Clinic"[:60], f"{rng.randint(1, 400)} {fake.street_name()}"[:40],
                          "", branch_city, ids.postcode_near(rng, state, postcode), state,
                          ids.landline_number(rng, state), ""))
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
        created = _between(rng, reference - timedelta(days=3650), reference - timedelta(days=60))
        rows.append((
            user_id, c.RECORD_CURRENT, title, first, surname, _slug(first[0] + surname)[:30], plan.category, sex,
            ids.provider_number(rng, location_char) if is_clinician else "",
            f"{rng.randint(1000000, 9999999)}" if doctor else "",
            ids.hpii(rng) if is_clinician else "", ahpra, location_id,
            f"{_slug(first)}.{_slug(surname)}@{practice.domain}"[:100], 1 if is_clinician else 0,
            sql_datetime(created), sql_datetime(_between(rng, created, reference - timedelta(days=1))),
        ))
        staff.members.append(StaffMember(user_id, plan.category, title, first, surname, location_id, is_clinician))
    # The user that online booking services write appointments as.
    online_id = len(plans) + 1
    rows.append((online_id, c.RECORD_CURRENT, c.TITLE_NONE, "Online", "Bookings", "onlinebookings", c.CAT_RECEPTION,
                 None, "", "", "", "", practice.location_ids[0], "", 0, sql_datetime(reference - timedelta(days=900)),
                 sql_datetime(reference - timedelta(days=900))))
    staff.members.append(StaffMember(online_id, c.CAT_RECEPTION, c.TITLE_NONE, "Online", "Bookings",
                                     practice.location_ids[0], False))
    return staff, Batch("USERS", USER_COLUMNS, rows)


# -- patients ---------------------------------------------------------------
@dataclass(slots=True)
class _Member:
    age: int
    sex: int
    adult: bool


_ADULT_BAND_WEIGHTS = tuple((i, band[2]) for i, band in enumerate(ADULT_AGE_BANDS))


def _adult_age(rng: random.Random, low: int = 18, high: int = 100) -> int:
    for _ in range(20):
        lo, hi, _w = ADULT_AGE_BANDS[int(_weighted(rng, _ADULT_BAND_WEIGHTS))]  # type: ignore[call-overload]
        age = rng.randint(lo, hi)
        if low <= age <= high:
            return age
    return rng.randint(low, high)


def _random_sex(rng: random.Random) -> int:
    x = rng.random()
    if x < 0.495:
        return c.SEX_MALE
    if x < 0.99:
        return c.SEX_FEMALE
    return c.SEX_INTERSEX if x < 0.993 else c.SEX_NOT_STATED


def _household(rng: random.Random) -> list[_Member]:
    kind = rng.random()
    if kind < 0.38:  # single adult
        return [_Member(_adult_age(rng), _random_sex(rng), True)]
    if kind < 0.68:  # couple
        a = _adult_age(rng, 20, 98)
        s1 = _random_sex(rng)
        opposite = {c.SEX_MALE: c.SEX_FEMALE, c.SEX_FEMALE: c.SEX_MALE}.get(s1, c.SEX_FEMALE)
        s2 = opposite if rng.random() < 0.92 else s1
        return [_Member(a, s1, True), _Member(max(18, min(100, a + rng.randint(-6, 6))), s2, True)]
    parent_age = rng.randint(24, 56)
    members = [_Member(parent_age, _random_sex(rng), True)]
    if kind < 0.92:  # two parents
        other = c.SEX_FEMALE if members[0].sex == c.SEX_MALE else c.SEX_MALE
        members.append(_Member(max(20, parent_age + rng.randint(-5, 5)), other, True))
    oldest = min(17, parent_age - 19)
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
        members.append(_Member(rng.randint(0, max(0, oldest)), _random_sex(rng), False))
    return members


class PatientFactory:
    """Turns households into PATIENTS rows and :class:`PatientSummary` records."""

    def __init__(self, fake: Faker, rng: random.Random, practice: Practice, staff: Staff, reference: datetime) -> None:
        self.fake = fake
        self.rng = rng
        self.practice = practice
        self.reference = reference
        self.today = reference.date()
        gps = staff.by_category(c.CAT_GP)
        registrars = staff.by_category(c.CAT_REGISTRAR)
        # Senior GPs carry bigger lists.
        self.doctor_weights = tuple((m.user_id, 8 - min(i, 5)) for i, m in enumerate(gps)) + tuple(
            (m.user_id, 2) for m in registrars)
        self.front_desk = [m.user_id for m in staff.by_category(c.CAT_RECEPTION, c.CAT_MANAGER) if m.first_name != "Online"]
        self.next_id = 1

    def households(self, count: int) -> Iterator[tuple[list[tuple], list[PatientSummary]]]:
        """Yield (rows, summaries) household by household until ``count`` patients exist."""
        remaining = count
        while remaining > 0:
            members = _household(self.rng)[:remaining]
            remaining -= len(members)
            yield self._household_rows(members)

    def _household_rows(self, members: list[_Member]) -> tuple[list[tuple], list[PatientSummary]]:
        rng, fake, state = self.rng, self.fake, self.practice.state
        surname = fake.last_name()
        lives_in_state = state if rng.random() < 0.97 else str(_weighted(rng, STATES_BY_POPULATION))
        if lives_in_state == state:
            postcode = ids.postcode_near(rng, state, self.practice.postcode)
            city = self.practice.city if rng.random() < 0.25 else fake.city()
        else:
            postcode = ids.postcode_in_state(rng, lives_in_state)
            city = fake.city()
        unit = f"Unit {rng.randint(1, 40)}/" if rng.random() < 0.15 else ""
        address1 = f"{unit}{rng.randint(1, 250)} {fake.street_name()}"[:40]
        postal = (f"PO Box {rng.randint(1, 9999)}", city, postcode) if rng.random() < 0.06 else ("", "", "")
        home_phone = ids.landline_number(rng, lives_in_state) if rng.random() < 0.3 else ""
        medicare = ids.medicare_number(rng) if rng.random() < 0.93 else ""
        medicare_expiry = self._medicare_expiry() if medicare else ""
        fund = (rng.randint(1, 12), str(rng.randint(10**7, 10**10))) if rng.random() < 0.45 else (None, "")
        ethnic = int(_weighted(rng, ((4, 78), (9, 17), (1, 4), (2, 1), (3, 1))))  # type: ignore[arg-type]
        rows, summaries = [], []
        for irn, m in enumerate(members, start=1):
            own_surname = surname if (irn == 1 or rng.random() < 0.85) else fake.last_name()
            row, summary = self._person(m, own_surname, address1, city, postcode, lives_in_state, postal, home_phone,
                                        medicare, str(irn) if medicare else "", medicare_expiry, fund, ethnic)
            rows.append(row)
            summaries.append(summary)
        return rows, summaries

    def _medicare_expiry(self) -> str:
        months_ahead = self.rng.randint(-3, 60)
        y, m = divmod(self.today.year * 12 + self.today.month - 1 + months_ahead, 12)
        return f"{m + 1:02d}/{y}"

    def _person(self, m: _Member, surname: str, address1: str, city: str, postcode: str, state: str,
                postal: tuple[str, str, str], home_phone: str, medicare: str, irn: str, medicare_expiry: str,
                fund: tuple[int | None, str], ethnic: int) -> tuple[tuple, PatientSummary]:
        rng, fake, ref = self.rng, self.fake, self.reference
        internal_id = self.next_id
        self.next_id += 1
        female = m.sex == c.SEX_FEMALE or (m.sex != c.SEX_MALE and rng.random() < 0.5)
        first = fake.first_name_female() if female else fake.first_name_male()
        middle = (fake.first_name_female() if female else fake.first_name_male()) if rng.random() < 0.6 else ""
        preferred = ""
        if rng.random() < 0.05:  # "known as"
            preferred = fake.first_name_female() if female else fake.first_name_male()
        dob = _years_before(self.today, m.age, rng)
        gender = self._gender(m.sex, m.age)
        title = self._title(m, female, gender)

        status, until, deceased = c.STATUS_ACTIVE, None, None
        x = rng.random()
        if m.age >= 55 and x < 0.006 * (m.age - 50) ** 0.9:
            status = c.STATUS_DECEASED
            deceased = self.today - timedelta(days=rng.randint(7, 1000))
            until = deceased
        elif x > 0.93 and (self.today - dob).days > 90:
            status = c.STATUS_INACTIVE
            until = self.today - timedelta(days=rng.randint(30, min(1500, (self.today - dob).days - 30)))
        record_status = c.RECORD_DELETED if rng.random() < 0.005 else c.RECORD_CURRENT

        earliest = max(datetime(2008, 1, 1), datetime.combine(dob, datetime.min.time()))
        latest = ref - timedelta(days=1)
        if until is not None:
            latest = min(latest, datetime.combine(until, datetime.min.time()))
        if m.age < 2:
            latest = min(latest, datetime.combine(dob + timedelta(days=90), datetime.min.time()))
        created = _between(rng, min(earliest, latest), latest).replace(second=0)
        created_by = rng.choice(self.front_desk)
        updated = _between(rng, created, ref - timedelta(hours=1)).replace(second=0)

        mobile = ids.mobile_number(rng) if m.age >= 13 and rng.random() < 0.9 else ""
        work = ids.landline_number(rng, state) if 20 <= m.age <= 66 and rng.random() < 0.12 else ""
        email = ""
        if m.age >= 16 and rng.random() < 0.65:
            suffix = str(rng.randint(1, 99)) if rng.random() < 0.4 else ""
            email = f"{_slug(first)}.{_slug(surname)}{suffix}@{fake.free_email_domain()}"[:100]

        pension: tuple = (None, "", None, None)
        if m.age >= 67 and rng.random() < 0.65:
            code = rng.choice((1, 3, 3, 5))
            pension = (code, ids.crn(rng), sql_midnight(self._date_after_birthday(dob, 67)),
                       sql_midnight(self.today + timedelta(days=rng.randint(30, 700))))
        elif 18 <= m.age < 67 and rng.random() < 0.14:
            code = rng.choice((2, 4, 4, 4, 6))
            pension = (code, ids.crn(rng), sql_midnight(self.today - timedelta(days=rng.randint(30, 3000))),
                       sql_midnight(self.today + timedelta(days=rng.randint(-60, 700))))
        dva = (None, "")
        if (m.age >= 65 and rng.random() < 0.04) or (25 <= m.age < 65 and rng.random() < 0.007):
            dva = (rng.choice((1, 1, 2, 3)) if m.age >= 65 else rng.choice((2, 2, 3)), ids.dva_number(rng, state))
        hch = (None, None)
        if m.age >= 50 and rng.random() < 0.01:
            hch = (rng.randint(1, 3), sql_midnight(date(2018, 1, 1) + timedelta(days=rng.randint(0, 900))))
        usual = int(_weighted(rng, self.doctor_weights)) if self.doctor_weights and rng.random() < 0.85 else None  # type: ignore[arg-type]

        row = (
            internal_id, "", record_status, status, title, first, middle, surname, preferred,
            address1, "", city, postcode, state, postal[0], postal[1], postal[2],
            sql_midnight(dob), m.sex, gender, ethnic, home_phone, work, mobile, email,
            medicare, irn, medicare_expiry, pension[0], pension[1], pension[2], pension[3],
            dva[0], dva[1], ids.safety_net_number(rng) if m.age >= 18 and rng.random() < 0.03 else "",
            str(10000 + internal_id) if rng.random() < 0.85 else "", hch[0], hch[1],
            rng.randint(1, 14) if rng.random() < 0.35 else None, fund[0], fund[1],
            ids.ihi(rng) if rng.random() < 0.88 else "", usual,
            sql_midnight(deceased) if deceased else None,
            sql_datetime(created), created_by, sql_datetime(updated), created_by,
        )
        summary = PatientSummary(internal_id, dob, m.sex, status, usual, created, until,
                                 deleted=record_status == c.RECORD_DELETED)
        return row, summary

    def _date_after_birthday(self, dob: date, years: int) -> date:
        try:
            d = dob.replace(year=dob.year + years)
        except ValueError:
            d = dob.replace(year=dob.year + years, day=28)
        return min(d, self.today)

    def _gender(self, sex: int, age: int) -> int | None:
        x = self.rng.random()
        if x < 0.3 or age < 5:
            return None  # not recorded (older records)
        if x < 0.32:
            return c.GENDER_NON_BINARY
        if x < 0.325:
            return c.GENDER_OTHER
        if x < 0.34:
            return c.GENDER_NOT_STATED
        return {c.SEX_MALE: c.GENDER_MAN, c.SEX_FEMALE: c.GENDER_WOMAN}.get(sex, c.GENDER_NOT_STATED)

    def _title(self, m: _Member, female: bool, gender: int | None) -> int:
        rng = self.rng
        if not m.adult or m.age < 16:
            if rng.random() < 0.4:
                return c.TITLE_MISS if female else c.TITLE_MASTER
            return c.TITLE_NONE
        if gender == c.GENDER_NON_BINARY:
            return c.TITLE_MX
        x = rng.random()
        if x < 0.03:
            return c.TITLE_DR
        if x < 0.035:
            return c.TITLE_PROF
        if not female:
            return c.TITLE_MR
        return int(_weighted(rng, ((c.TITLE_MRS, 45), (c.TITLE_MS, 42), (c.TITLE_MISS, 13))))  # type: ignore[arg-type]
