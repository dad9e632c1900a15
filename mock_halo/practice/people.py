"""The patients (Faker en_AU for names and places).

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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from faker import Faker

from . import codes as c
from . import identifiers as ids
from .draw import between, slug, weighted, years_before
from .model import PatientSummary, Practice, Staff, sql_datetime, sql_midnight
from .staff import STATES_BY_POPULATION

#: Adult age bands (low, high, weight) for people heading a household.
ADULT_AGE_BANDS = ((18, 29, 13), (30, 39, 14), (40, 49, 14), (50, 59, 15), (60, 69, 16), (70, 79, 14), (80, 89, 8),
                   (90, 100, 3))

PATIENT_COLUMNS = (
    "INTERNALID", "EXTERNALID", "RECORDSTATUS", "PATIENTSTATUS", "TITLECODE", "FIRSTNAME", "MIDDLENAME", "SURNAME",
    "PREFERREDNAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE", "STATE", "POSTALADDRESS", "POSTALCITY",
    "POSTALPOSTCODE", "DOB", "SEXCODE", "GENDERCODE", "ETHNICCODE", "HOMEPHONE", "WORKPHONE", "MOBILEPHONE", "EMAIL",
    "MEDICARENO", "MEDICARELINENO", "MEDICAREEXPIRY", "PENSIONCODE", "PENSIONNO", "PENSIONSTART", "PENSIONEXPIRY",
    "DVACODE", "DVANO", "SAFETYNETNO", "RECORDNO", "HCHTIER", "HCHSTART", "RELIGIONCODE", "HEALTHFUNDID",
    "HEALTHFUNDNO", "IHI", "USUALDOCTOR", "DECEASEDDATE", "CREATED", "CREATEDBY", "UPDATED", "UPDATEDBY",
)

# -- patients ---------------------------------------------------------------
@dataclass(slots=True)
class _Member:
    age: int
    sex: int
    adult: bool


_ADULT_BAND_WEIGHTS = tuple((i, band[2]) for i, band in enumerate(ADULT_AGE_BANDS))


def _adult_age(rng: random.Random, low: int = 18, high: int = 100) -> int:
    for _ in range(20):
        lo, hi, _w = ADULT_AGE_BANDS[weighted(rng, _ADULT_BAND_WEIGHTS)]
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
        self.front_desk = [m.user_id for m in staff.by_category(c.CAT_RECEPTION, c.CAT_MANAGER)
                           if m.user_id != staff.online_user]
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
        lives_in_state = state if rng.random() < 0.97 else weighted(rng, STATES_BY_POPULATION)
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
        ethnic = weighted(rng, ((4, 78), (9, 17), (1, 4), (2, 1), (3, 1)))
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
        dob = years_before(self.today, m.age, rng)
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
        created = between(rng, min(earliest, latest), latest).replace(second=0)
        created_by = rng.choice(self.front_desk)
        updated = between(rng, created, ref - timedelta(hours=1)).replace(second=0)

        mobile = ids.mobile_number(rng) if m.age >= 13 and rng.random() < 0.9 else ""
        work = ids.landline_number(rng, state) if 20 <= m.age <= 66 and rng.random() < 0.12 else ""
        email = ""
        if m.age >= 16 and rng.random() < 0.65:
            suffix = str(rng.randint(1, 99)) if rng.random() < 0.4 else ""
            email = f"{slug(first)}.{slug(surname)}{suffix}@{fake.free_email_domain()}"[:100]

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
        usual = weighted(rng, self.doctor_weights) if self.doctor_weights and rng.random() < 0.85 else None

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
        return weighted(rng, ((c.TITLE_MRS, 45), (c.TITLE_MS, 42), (c.TITLE_MISS, 13)))
