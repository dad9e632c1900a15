"""The patients: PATIENTS, their EMAIL rows and next of kin (NEXTOFKIN).

Patients come in households (single adults, couples, families, single parents)
that share a surname, an address, a landline, a health fund and a Medicare card
(one IRN per member), as on a real card; family members point at the head of the
family (HEADOFFAMILYID). Ages spread from newborns to 100 with adults weighted like
an Australian general practice list.

Names come from Faker's en_AU word lists and places from pools drawn with Faker
once per practice (Faker's own calls are too slow for 100k patients). Faker invents
suburbs ("Port Roychester") and its postcodes do not match states: postcodes here
come from the practice state's real ranges, but suburbs stay invented.
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
RELIGIONS = ("Catholic", "Anglican", "Uniting Church", "Presbyterian", "Greek Orthodox", "Baptist", "Lutheran",
             "Islam", "Buddhism", "Hinduism", "Judaism", "Sikhism", "No religion", "Other")
HEALTH_FUNDS = ("Medibank", "Bupa", "HCF", "nib", "HBF", "Australian Unity", "GMHBA", "Teachers Health",
                "Defence Health", "CBHS Health Fund", "Westfund", "Peoplecare")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com.au", "hotmail.com", "outlook.com", "bigpond.com", "optusnet.com.au",
                 "icloud.com")

PATIENT_COLUMNS = (
    "INTERNALID", "RECORDSTATUS", "EXTERNALID", "IHI", "IHISTATUS", "PATIENTSTATUS", "DATEOFDEATH", "TITLECODE",
    "FIRSTNAME", "MIDDLENAME", "SURNAME", "PREFERREDNAME", "ADDRESS1", "ADDRESS2", "CITY", "POSTCODE",
    "POSTALADDRESS", "POSTALCITY", "POSTALPOSTCODE", "DOB", "SEXCODE", "ETHNICCODE", "HOMEPHONE", "WORKPHONE",
    "MOBILEPHONE", "MEDICARENO", "MEDICARELINENO", "MEDICAREEXPIRY", "PENSIONCODE", "PENSIONNO", "PENSIONSTART",
    "PENSIONEXPIRY", "DVACODE", "DVANO", "SAFETYNETNO", "RECORDNO", "RELIGION", "HEALTHFUNDNO", "HEALTHFUNDNAME",
    "HEALTHFUNDID", "USERID", "HEADOFFAMILYID", "NEXTOFKINID", "CONSENTSMSREMINDER", "CREATED", "CREATEDBY",
    "UPDATED", "UPDATEDBY", "COUNTRY", "HCHTIER", "HCHSTARTED",
)
EMAIL_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "EMAILCODE", "EMAIL", "CREATED", "CREATEDBY")
NEXTOFKIN_COLUMNS = ("NEXTOFKINID", "RECORDSTATUS", "TITLECODE", "SURNAME", "FIRSTNAME", "ADDRESS", "CITY", "POSTCODE",
                     "CONTACTPHONE", "CONTACTPHONE2", "RELATIONSHIP", "CREATED", "CREATEDBY", "HEADOFFAMILYID", "TYPE",
                     "INTERNALID")
#: NEXTOFKINID 0: "no next of kin" (PATIENTS.NEXTOFKINID is NOT NULL with a foreign key).
NEXTOFKIN_NONE = (0, 0, c.TITLE_NONE, "", "", "", "", "", "", "", "", c.INSTALLED, 0, 0, 0, 0)


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


class NamePools:
    """Faker's en_AU word lists and pools of invented suburbs and streets (drawn once per practice)."""

    def __init__(self, fake: Faker, patients: int) -> None:
        person = next(p for p in fake.providers if "person" in type(p).__module__)
        self.male = tuple(person.first_names_male)
        self.female = tuple(person.first_names_female)
        self.last = tuple(person.last_names)
        self.cities = tuple(fake.city() for _ in range(min(2000, 150 + patients // 40)))
        self.streets = tuple(fake.street_name() for _ in range(min(3000, 300 + patients // 20)))


class PatientFactory:
    """Turns households into PATIENTS rows (with EMAIL and NEXTOFKIN rows) and :class:`PatientSummary` records."""

    def __init__(self, pools: NamePools, rng: random.Random, practice: Practice, staff: Staff, now: datetime) -> None:
        self.pools = pools
        self.rng = rng
        self.practice = practice
        self.now = now
        self.today = now.date()
        gps = staff.by_group(*c.DOCTOR_GROUPS)
        # Senior GPs carry bigger lists; registrars small ones.
        self.doctor_weights = tuple((m.user_id, 2 if m.group == c.GROUP_REGISTRAR else 8 - min(i, 5))
                                    for i, m in enumerate(gps))
        self.front_desk = [m.user_id for m in staff.by_group(c.GROUP_RECEPTION, c.GROUP_MANAGER)
                           if m.user_id != staff.online_user]
        self.next_id = 1
        self.next_email = 1
        self.next_kin = 1
        self.emails: list[tuple] = []
        self.kin: list[tuple] = []

    def take_extra(self) -> tuple[list[tuple], list[tuple]]:
        """(EMAIL rows, NEXTOFKIN rows) made since the last call."""
        out = self.emails, self.kin
        self.emails, self.kin = [], []
        return out

    def households(self, count: int) -> Iterator[tuple[list[tuple], list[PatientSummary]]]:
        """Yield (rows, summaries) household by household until ``count`` patients exist."""
        remaining = count
        while remaining > 0:
            members = _household(self.rng)[:remaining]
            remaining -= len(members)
            yield self._household_rows(members)

    def _pick(self, seq: tuple[str, ...]) -> str:
        return seq[int(self.rng.random() * len(seq))]

    def _household_rows(self, members: list[_Member]) -> tuple[list[tuple], list[PatientSummary]]:
        rng, state = self.rng, self.practice.state
        surname = self._pick(self.pools.last)
        lives_in_state = state if rng.random() < 0.97 else weighted(rng, STATES_BY_POPULATION)
        if lives_in_state == state:
            postcode = ids.postcode_near(rng, state, self.practice.postcode)
            city = self.practice.city if rng.random() < 0.25 else self._pick(self.pools.cities)
        else:
            postcode = ids.postcode_in_state(rng, lives_in_state)
            city = self._pick(self.pools.cities)
        unit = f"Unit {rng.randint(1, 40)}/" if rng.random() < 0.15 else ""
        address1 = f"{unit}{rng.randint(1, 250)} {self._pick(self.pools.streets)}"[:40]
        postal = (f"PO Box {rng.randint(1, 9999)}", city[:40], postcode) if rng.random() < 0.06 else ("", "", "")
        home_phone = ids.landline_number(rng, lives_in_state) if rng.random() < 0.3 else ""
        medicare = ids.medicare_number(rng) if rng.random() < 0.93 else ""
        medicare_expiry = self._medicare_expiry() if medicare else ""
        fund = rng.randint(1, len(HEALTH_FUNDS)) if rng.random() < 0.45 else 0
        fund_row = (str(rng.randint(10**7, 10**10)), HEALTH_FUNDS[fund - 1], fund) if fund else ("", None, 0)
        ethnic = weighted(rng, ((4, 78), (9, 17), (1, 4), (2, 1), (3, 1)))
        head = self.next_id
        rows, summaries = [], []
        for irn, m in enumerate(members, start=1):
            own_surname = surname if (irn == 1 or rng.random() < 0.85) else self._pick(self.pools.last)
            row, summary = self._person(m, own_surname, address1, city[:40], postcode, lives_in_state, postal,
                                        home_phone, medicare, str(irn) if medicare else "", medicare_expiry, fund_row,
                                        ethnic, 0 if irn == 1 else head)
            rows.append(row)
            summaries.append(summary)
        return rows, summaries

    def _medicare_expiry(self) -> str:
        months_ahead = self.rng.randint(-3, 60)
        y, m = divmod(self.today.year * 12 + self.today.month - 1 + months_ahead, 12)
        return f"{m + 1:02d}/{y}"

    def _person(self, m: _Member, surname: str, address1: str, city: str, postcode: str, state: str,
                postal: tuple[str, str, str], home_phone: str, medicare: str, irn: str, medicare_expiry: str,
                fund: tuple[str, str | None, int], ethnic: int, head: int) -> tuple[tuple, PatientSummary]:
        rng, now, pools = self.rng, self.now, self.pools
        r = rng.random
        internal_id = self.next_id
        self.next_id += 1
        female = m.sex == c.SEX_FEMALE or (m.sex != c.SEX_MALE and r() < 0.5)
        names = pools.female if female else pools.male
        first = self._pick(names)
        middle = self._pick(names) if r() < 0.6 else ""
        preferred = self._pick(names) if r() < 0.05 else ""  # "known as"
        dob = years_before(self.today, m.age, rng)
        title = self._title(m, female)

        status, until, deceased = c.STATUS_ACTIVE, None, None
        x = r()
        if m.age >= 55 and x < 0.006 * (m.age - 50) ** 0.9:
            status = c.STATUS_DECEASED
            deceased = self.today - timedelta(days=rng.randint(7, 1000))
            until = deceased
        elif x > 0.93 and (self.today - dob).days > 90:
            status = c.STATUS_INACTIVE
            until = self.today - timedelta(days=rng.randint(30, min(1500, (self.today - dob).days - 30)))
        deleted = r() < 0.005

        earliest = max(datetime(2008, 1, 1), datetime.combine(dob, datetime.min.time()))
        latest = now - timedelta(days=1)
        if until is not None:
            latest = min(latest, datetime.combine(until, datetime.min.time()))
        if m.age < 2:
            latest = min(latest, datetime.combine(dob + timedelta(days=90), datetime.min.time()))
        created = between(rng, min(earliest, latest), latest).replace(second=0)
        created_by = self.front_desk[int(r() * len(self.front_desk))]
        updated = between(rng, created, now - timedelta(hours=1)).replace(second=0)

        mobile = ids.mobile_number(rng) if m.age >= 13 and r() < 0.9 else ""
        work = ids.landline_number(rng, state) if 20 <= m.age <= 66 and r() < 0.12 else ""
        if m.age >= 16 and r() < 0.65:
            suffix = str(rng.randint(1, 99)) if r() < 0.4 else ""
            email = f"{slug(first)}.{slug(surname)}{suffix}@{self._pick(EMAIL_DOMAINS)}"[:250]
            self.emails.append((self.next_email, c.RECORD_CURRENT, internal_id, 1, email, sql_datetime(created),
                                created_by))
            self.next_email += 1

        pension: tuple = (0, "", None, None)
        if m.age >= 67 and r() < 0.65:
            code = rng.choice((1, 3, 3, 5))
            pension = (code, ids.crn(rng), sql_midnight(self._date_after_birthday(dob, 67)),
                       sql_midnight(self.today + timedelta(days=rng.randint(30, 700))))
        elif 18 <= m.age < 67 and r() < 0.14:
            code = rng.choice((2, 4, 4, 4, 6))
            pension = (code, ids.crn(rng), sql_midnight(self.today - timedelta(days=rng.randint(30, 3000))),
                       sql_midnight(self.today + timedelta(days=rng.randint(-60, 700))))
        dva = (0, "")
        if (m.age >= 65 and r() < 0.04) or (25 <= m.age < 65 and r() < 0.007):
            dva = (rng.choice((1, 1, 2, 3)) if m.age >= 65 else rng.choice((2, 2, 3)), ids.dva_number(rng, state))
        hch = (0, None)
        if m.age >= 50 and r() < 0.01:
            hch = (rng.randint(1, 3), sql_midnight(date(2018, 1, 1) + timedelta(days=rng.randint(0, 900))))
        usual = weighted(rng, self.doctor_weights) if self.doctor_weights and r() < 0.85 else 0
        kin = 0
        if m.adult and m.age >= 60 and r() < 0.3:
            kin = self._next_of_kin(internal_id, surname, city, postcode, state, created, created_by, head)

        row = (
            internal_id, c.RECORD_DELETED if deleted else c.RECORD_CURRENT, "",
            ids.ihi(rng) if r() < 0.88 else "", 1, status, sql_midnight(deceased) if deceased else None, title,
            first, middle, surname, preferred, address1, "", city, postcode, postal[0], postal[1], postal[2],
            sql_midnight(dob), m.sex, ethnic, home_phone, work, mobile, medicare, irn, medicare_expiry,
            pension[0], pension[1], pension[2], pension[3], dva[0], dva[1],
            ids.safety_net_number(rng) if m.age >= 18 and r() < 0.03 else "",
            str(10000 + internal_id) if r() < 0.85 else "",
            self._pick(RELIGIONS) if r() < 0.35 else "", fund[0], fund[1], fund[2], usual, head, kin,
            1 if mobile and r() < 0.75 else 0, sql_datetime(created), created_by, sql_datetime(updated), created_by,
            "Australia", hch[0], hch[1],
        )
        summary = PatientSummary(internal_id, dob, m.sex, status, usual, created, until, deleted=deleted)
        return row, summary

    def _next_of_kin(self, internal_id: int, surname: str, city: str, postcode: str, state: str, created: datetime,
                     created_by: int, head: int) -> int:
        rng = self.rng
        kin_id = self.next_kin
        self.next_kin += 1
        relationship = rng.choice(("Daughter", "Son", "Spouse", "Friend", "Sister", "Brother"))
        female = relationship in ("Daughter", "Sister") or (relationship in ("Spouse", "Friend") and rng.random() < 0.5)
        first = self._pick(self.pools.female if female else self.pools.male)
        kin_surname = surname if relationship != "Friend" and rng.random() < 0.7 else self._pick(self.pools.last)
        self.kin.append((kin_id, c.RECORD_CURRENT, c.TITLE_MS if female else c.TITLE_MR, kin_surname[:30], first[:30],
                         "", city, postcode, ids.mobile_number(rng),
                         ids.landline_number(rng, state) if rng.random() < 0.3 else "", relationship,
                         sql_datetime(created), created_by, head, 1, internal_id))
        return kin_id

    def _date_after_birthday(self, dob: date, years: int) -> date:
        try:
            d = dob.replace(year=dob.year + years)
        except ValueError:
            d = dob.replace(year=dob.year + years, day=28)
        return min(d, self.today)

    def _title(self, m: _Member, female: bool) -> int:
        r = self.rng.random
        if not m.adult or m.age < 16:
            if r() < 0.4:
                return c.TITLE_MISS if female else c.TITLE_MASTER
            return c.TITLE_NONE
        x = r()
        if m.sex in (c.SEX_INTERSEX, c.SEX_NOT_STATED) and x < 0.3:
            return c.TITLE_MX
        if x < 0.03:
            return c.TITLE_DR
        if x < 0.035:
            return c.TITLE_PROF
        if not female:
            return c.TITLE_MR
        return weighted(self.rng, ((c.TITLE_MRS, 45), (c.TITLE_MS, 42), (c.TITLE_MISS, 13)))
