"""Clinical records per patient: CLINICAL, past history, medicines and scripts, allergies,
immunisations, observations, investigations with their result values, correspondence,
actions, recalls, and the visits before the appointment book's window.

Records are consistent with the patient: conditions appear with age, medicines
follow the active conditions, immunisations follow the childhood schedule and
adult recommendations, and nothing is dated before birth, after death or
leaving, or on or after the anchor date (the data is as at the start of that day).
"""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, datetime, timedelta
from itertools import accumulate

from . import codes as c
from .draw import below_from
from .model import PatientSummary, Staff, sql_datetime, sql_midnight

CLINICAL_COLUMNS = ("INTERNALID", "KNOWNALLERGIES", "PASTHISTORY", "FAMILYHISTORY", "SMOKINGSTATUS", "ALCOHOLSTATUS",
                    "BLOODGROUP", "MARITALSTATUS", "SEXUALITY", "ACCOMODATION", "LIVESWITH", "HASCARER", "ISCARER",
                    "CREATED", "CREATEDBY")
PASTHISTORY_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "YEAR", "MONTH", "DAY", "ITEMTEXT",
                       "ITEMCODE", "STATUSCODE", "SUMMARYCODE", "CREATED", "CREATEDBY")
CURRENTRX_COLUMNS = ("RECORDID", "INTERNALID", "RECORDSTATUS", "PRODUCTID", "DRUGNAME", "RXSTATUS", "DOSE", "FREQUENCY",
                     "ROUTE", "PRN", "QUANTITY", "PRODUCTUNIT", "REPEATS", "FIRSTDATE", "LASTDATE", "INDICATION",
                     "INDICATIONCODE", "CREATED", "CREATEDBY")
PRESCRIPTION_COLUMNS = ("SCRIPTID", "INTERNALID", "USERID", "LOCATIONID", "RECORDSTATUS", "SCRIPTDATE", "PRINTSTATUS",
                        "PRINTDATE", "CREATED", "CREATEDBY")
SCRIPTITEM_COLUMNS = ("RECORDID", "INTERNALID", "USERID", "SCRIPTID", "RECORDSTATUS", "PRODUCTID", "PRODUCTNAME",
                      "PRODUCTDESCRIPTION", "STRENGTH", "DOSE", "FREQUENCY", "PRN", "ROUTE", "QUANTITY", "PRODUCTUNIT",
                      "REPEATS", "CREATED", "CREATEDBY")
REACTION_COLUMNS = ("RECORDID", "INTERNALID", "USERID", "RECORDSTATUS", "ITEMTYPE", "ITEMCODE", "ITEMNAME",
                    "REACTIONCODE", "REACTION", "SEVERITY", "CREATED", "CREATEDBY")
IMMUNISATION_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "NOTGIVENHERE", "USERID", "ADMINISTEREDBY",
                        "GIVENDATE", "VACCINENAME", "VACCINEID", "BATCHNUMBER", "SEQUENCE", "SITECODE", "ROUTE",
                        "CREATED", "CREATEDBY", "Status")
OBSERVATION_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "OBSDATE", "OBSTIME", "DATANAME", "DATACODE",
                       "DATAVALUE", "CREATED", "CREATEDBY")
INVESTIGATION_COLUMNS = ("REPORTID", "RECORDSTATUS", "INTERNALID", "USERID", "IMPORTDATE", "REQUESTDATE",
                         "PROVIDERNAME", "COLLECTIONDATE", "TESTNAME", "REPORTDATE", "REPORTTIME", "NORMALFLAG",
                         "COMPLETIONFLAG", "CHECKDATE", "CHECKEDBY", "NOTATION", "ACTION", "ACTIONED", "ACTIONDATE",
                         "CREATED", "CREATEDBY")
REPORTVALUE_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "REPORTID", "REPORTDATE", "DATATYPE", "LOINCCODE",
                       "BPCODE", "RESULTNAME", "RESULTVALUE", "UNITS", "RANGE", "ABNORMALFLAG", "CREATED", "CREATEDBY")
CORRESPONDENCE_COLUMNS = ("DOCUMENTID", "RECORDSTATUS", "STORED", "INTERNALID", "USERID", "CORRESPONDENCEDATE",
                          "CONTACTID", "CONTACTNAME", "CATEGORY", "SUBJECT", "DETAIL", "CHECKDATE", "CHECKEDBY",
                          "ACTION", "ACTIONED", "CREATED", "CREATEDBY")
ACTION_COLUMNS = ("RECORDID", "INTERNALID", "USERID", "RECORDSTATUS", "ACTIONTEXT", "DUEDATE", "ADDED", "PRIORITY",
                  "ACTIONSTATUS", "PERFORMED", "PERFORMEDBY", "CREATED", "CREATEDBY")
REMINDER_COLUMNS = ("REMINDERID", "RECORDSTATUS", "REMINDERSTATUS", "BATCHID", "INTERNALID", "USERID",
                    "REMINDERREASONID", "REASONTEXT", "REMINDERDUE", "INTERVAL", "INTERVALCODE", "CREATED", "CREATEDBY",
                    "LOCATIONID")
VISIT_COLUMNS = ("VISITID", "INTERNALID", "USERID", "RECORDSTATUS", "VISITCODE", "DRNAME", "VISITDATE", "RECORDEDDATE",
                 "STARTTIME", "ENDTIME", "DURATION", "LOCATION", "CREATED", "CREATEDBY")
VISITREASON_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "VISITID", "REASON", "CREATED", "CREATEDBY")

TABLE_COLUMNS = {
    "CLINICAL": CLINICAL_COLUMNS, "PASTHISTORY": PASTHISTORY_COLUMNS, "CURRENTRX": CURRENTRX_COLUMNS,
    "PRESCRIPTIONS": PRESCRIPTION_COLUMNS, "SCRIPTITEMS": SCRIPTITEM_COLUMNS, "REACTIONS": REACTION_COLUMNS,
    "IMMUNISATIONS": IMMUNISATION_COLUMNS, "OBSERVATIONS": OBSERVATION_COLUMNS, "INVESTIGATIONS": INVESTIGATION_COLUMNS,
    "REPORTVALUES": REPORTVALUE_COLUMNS, "CORRESPONDENCEIN": CORRESPONDENCE_COLUMNS, "ACTIONS": ACTION_COLUMNS,
    "REMINDERS": REMINDER_COLUMNS, "VISITS": VISIT_COLUMNS, "VISITREASON": VISITREASON_COLUMNS,
}
#: Tables whose rows must be inserted before the others of a chunk (foreign keys: scripts before their items,
#: reports before their values, visits before their reasons).
TABLE_ORDER = ("VISITS", "VISITREASON", "CLINICAL", "PASTHISTORY", "CURRENTRX", "PRESCRIPTIONS", "SCRIPTITEMS",
               "REACTIONS", "IMMUNISATIONS", "OBSERVATIONS", "INVESTIGATIONS", "REPORTVALUES", "CORRESPONDENCEIN",
               "ACTIONS", "REMINDERS")

_ACTION_TEXTS = ("Review results with patient", "Book follow-up appointment", "Repeat blood test",
                 "Check referral response")
_CONDITIONS = {row[0]: row for row in c.CONDITIONS}
_PRODUCTS = {row[0]: row for row in c.PRODUCTS}
_ROUTES = {"tablet": 1, "capsule": 1, "inhaler": 2, "cream": 3, "injection": 4}
_VACCINE_NAMES = {row[0]: row[1] for row in c.VACCINES}
#: rng.choices(tests, weights)[0] is one random() against the cumulative weights (as random.choices does it).
_TEST_CUMULATIVE = list(accumulate(t[1] for t in c.INVESTIGATION_TESTS))
_TEST_TOTAL = _TEST_CUMULATIVE[-1] + 0.0
_BATCH_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
#: Each test's result lines with their number format and reference range text made once.
_TEST_LINES = {test: tuple((name, loinc, bp_code, units, low, high, f".{decimals}f",
                            f"{low:.{decimals}f}-{high:.{decimals}f}")
                           for name, loinc, bp_code, units, low, high, decimals in lines)
               for test, _w, _abnormal, lines in c.INVESTIGATION_TESTS}
#: National Immunisation Program, childhood part: (age in days, vaccine ids, dose number).
_CHILD_SCHEDULE = (
    (60, (1, 2, 3), 1), (120, (1, 2, 3), 2), (180, (1,), 3), (365, (4, 2, 5), 1),
    (548, (6, 7), 1), (1461, (8,), 1), (4563, (10, 9), 1),
)
_VISIT_CODES = ((c.VISIT_SURGERY, 85), (c.VISIT_TELEHEALTH, 7), (c.VISIT_TELEPHONE, 5), (c.VISIT_HOME, 2),
                (c.VISIT_RACF, 1))
_VISIT_CUMULATIVE = list(accumulate(w for _, w in _VISIT_CODES))
_VISIT_TOTAL = _VISIT_CUMULATIVE[-1] + 0.0
#: Per condition: (code, name, minimum age, chance at 70, flat risk, years from the minimum age to 70 (at
#: least 1), onset's earliest day after birth, is a procedure).
_CONDITION_RISKS = tuple((code, name, min_age, p70, code in c.FLAT_RISK, max(1, 70 - min_age),
                          timedelta(days=365 * min_age), code in c.PROCEDURES)
                         for code, name, _snomed, min_age, p70 in c.CONDITIONS)
_TEN_HOURS = timedelta(hours=10)
_TWO_DAYS = timedelta(days=2)
_DAYS = (timedelta(0), timedelta(days=1), timedelta(days=2))
_SITES = (1, 2)  # SITECODE: left / right deltoid (adults); 3 / 4 thighs (infants); 5 oral


def _age_on(dob: date, d: date) -> int:
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


def drug_name(product_id: int) -> str:
    """CURRENTRX.DRUGNAME of a BPSDrugs product: brand, strength and form ("Coversyl 5 mg tablet")."""
    _pid, _name_id, brand, _ingredient, strength, form, _unit = _PRODUCTS[product_id]
    return f"{brand} {strength} {form}"


class ClinicalFactory:
    """Creates one patient's clinical rows; keeps the id counters of each table."""

    def __init__(self, rng: random.Random, staff: Staff, anchor: date, window_start: date) -> None:
        self.rng = rng
        self.below = below_from(rng)
        self.random = rng.random
        self.today = anchor
        self.now = datetime.combine(anchor, datetime.min.time())
        self.window_start = window_start
        self.doctors = staff.by_group(*c.DOCTOR_GROUPS)
        self.nurses = staff.by_group(c.GROUP_NURSE) or self.doctors
        self.member = {m.user_id: m for m in staff.members}
        self.doctor_ids = [m.user_id for m in self.doctors]
        self.nurse_ids = [m.user_id for m in self.nurses]
        self.latest = self.now - timedelta(hours=7)  # 17:00 the day before the anchor
        self._slots: dict[tuple[int, int], tuple[tuple[timedelta, ...], int]] = {}
        self._midnights: dict[date, datetime] = {}
        self.ids = dict.fromkeys(TABLE_COLUMNS, 0)
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLE_COLUMNS}

    def take_rows(self) -> dict[str, list[tuple]]:
        """The rows made since the last call (and forget them)."""
        out, self.rows = self.rows, {name: [] for name in TABLE_COLUMNS}
        return out

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _doctor(self, p: PatientSummary) -> int:
        random = self.random
        if p.usual_doctor and random() < 0.75:
            return p.usual_doctor
        return self.doctor_ids[int(random() * len(self.doctor_ids))]

    def _instant(self, d: date, start: int = 8 * 3600 + 1800, end: int = 17 * 3600) -> datetime:
        """A quarter-hour in [start, end) seconds into day ``d``, never on or after the anchor date (the data
        is as at the start of that day): before 17:00 the day before."""
        try:
            slots, n = self._slots[start, end]
        except KeyError:
            n = (end - start) // 900
            slots = tuple(timedelta(seconds=start + k * 900) for k in range(max(n, 1)))
            self._slots[start, end] = slots, n
        midnight = self._midnights.get(d)
        if midnight is None:
            midnight = self._midnights[d] = datetime.combine(d, datetime.min.time())
        when = midnight + slots[int(self.random() * n)]
        return when if when < self.latest else self.latest

    def _day_between(self, start: date, end: date) -> date:
        span = (end - start).days
        d = start + timedelta(days=int(self.random() * (span + 1))) if span > 0 else start
        weekday = d.weekday()
        if weekday >= 5 and d - _TWO_DAYS >= start:
            d -= _DAYS[weekday - 4]  # back to Friday
        return d

    def _working_time_after(self, after: datetime, max_days: int) -> datetime | None:
        """A working-hours instant within ``max_days`` days after ``after``; None if that is not before the anchor."""
        first = 0 if after.hour < 16 else 1
        d = after.date() + timedelta(days=first + self.below(max_days - first + 1))
        when = max(self._instant(d), after + timedelta(minutes=5))
        return when if when < self.now else None

    # -- per patient -----------------------------------------------------------
    def add_patient(self, p: PatientSummary) -> None:
        if p.deleted:
            return
        end = min(p.until or self.today - timedelta(days=1), self.today - timedelta(days=1))
        age = _age_on(p.dob, end)
        conditions = self._past_history(p, age, end)
        self._medicines(p, conditions, end)
        allergies = self._reactions(p, end) if self.rng.random() < 0.18 else 0
        self._clinical(p, age, allergies, bool(conditions))
        self._immunisations(p, age, end)
        self._investigations(p, age, len(conditions), end)
        self._old_visits(p, age, len(conditions), end)
        if p.until is None:
            self._reminders(p, age, conditions)
        if self.rng.random() < 0.08:
            self._correspondence(p, end)

    def _clinical(self, p: PatientSummary, age: int, allergies: int, conditions: bool) -> None:
        rng, below = self.rng, self.below
        r = rng.random
        smoking = 0 if age < 15 else (3 if r() < 0.11 else 2 if r() < 0.25 else 1) if r() < 0.8 else 0
        alcohol = 0 if age < 18 else (0, 1, 2, 2, 2, 3, 3, 4)[below(8)]
        marital = 0 if age < 18 else (0, 1, 2, 2, 2, 3, 4, 5, 6 if age > 60 else 2)[below(9)]
        self.rows["CLINICAL"].append((
            p.internal_id, 2 if allergies else (1 if r() < 0.6 else 0), 0 if conditions else (1 if r() < 0.5 else 0),
            1 if r() < 0.3 else 0, smoking, alcohol, ("A", "B", "AB", "O", "O", "A", "")[below(7)] if r() < 0.3 else "",
            marital, 0, 1 if r() < 0.5 else 0, (4 if r() < 0.25 else 1) if age >= 18 and r() < 0.6 else 0, 0, 0,
            sql_datetime(p.created), 0,
        ))

    def _past_history(self, p: PatientSummary, age: int, end: date) -> list[tuple[int, date]]:
        rng = self.rng
        found = []
        random, latest = rng.random, self.latest
        for code, name, min_age, p70, flat, span, onset, procedure in _CONDITION_RISKS:
            if age < min_age:
                continue
            chance = p70 if flat else p70 * min(1.2, max(0.05, (age - min_age) / span))
            if random() >= chance:
                continue
            diagnosed = self._day_between(p.dob + onset, end)
            created = max(p.created, datetime.combine(diagnosed, datetime.min.time()) + _TEN_HOURS)
            status = 2 if procedure or random() < 0.08 else 1
            self.rows["PASTHISTORY"].append((
                self._next("PASTHISTORY"), c.RECORD_CURRENT, p.internal_id,
                self._doctor(p) if diagnosed >= p.created.date() else 0, diagnosed.year,
                diagnosed.month if random() < 0.7 else 0, diagnosed.day if random() < 0.4 else 0, name, code,
                status, 1 if status == 1 else 0, sql_datetime(created if created < latest else latest),
                p.usual_doctor,
            ))
            if status == 1:
                found.append((code, diagnosed))
        return found

    def _medicines(self, p: PatientSummary, conditions: list[tuple[int, date]], end: date) -> None:
        rng, below = self.rng, self.below
        seen: set[int] = set()
        for code, diagnosed in conditions:
            options = c.DRUGS_FOR_CONDITION.get(code)
            if not options or rng.random() < 0.2:
                continue
            picks = [options[below(len(options))]]
            if len(options) > 1 and rng.random() < 0.2:
                picks.append(options[below(len(options))])
            for product_id, dose, frequency, quantity, repeats, prn in picks:
                if product_id in seen:
                    continue
                seen.add(product_id)
                start = self._day_between(diagnosed, end)
                last = self._day_between(max(start, end - timedelta(days=180)), end)
                doctor = self._doctor(p)
                _pid, _name_id, brand, _ingredient, strength, form, unit = _PRODUCTS[product_id]
                route = _ROUTES[form]
                created = sql_datetime(max(p.created, self._instant(start)))
                self.rows["CURRENTRX"].append((
                    self._next("CURRENTRX"), p.internal_id, c.RECORD_CURRENT, product_id, drug_name(product_id),
                    2 if prn else 1, dose, frequency, route, prn, quantity, unit, repeats, sql_midnight(start),
                    sql_midnight(last), _CONDITIONS[code][1], code, created, doctor,
                ))
                if last >= p.created.date() and rng.random() < 0.7:
                    script_id = self._next("PRESCRIPTIONS")
                    when = sql_datetime(self._instant(last))
                    location = self.member[doctor].location_id
                    self.rows["PRESCRIPTIONS"].append((script_id, p.internal_id, doctor, location, c.RECORD_CURRENT,
                                                       sql_midnight(last), 1, when, when, doctor))
                    self.rows["SCRIPTITEMS"].append((
                        self._next("SCRIPTITEMS"), p.internal_id, doctor, script_id, c.RECORD_CURRENT, product_id, brand,
                        f"{brand} {strength} {form}", strength, dose, frequency, prn, route, quantity, unit, repeats,
                        when, doctor))

    def _reactions(self, p: PatientSummary, end: date) -> int:
        rng, below = self.rng, self.below
        picks = rng.sample(c.ALLERGENS, (1, 1, 1, 2)[below(4)])
        for item_type, item_code, name in picks:
            recorded = self._day_between(p.created.date(), end)
            reaction = below(len(c.REACTION_TEXTS))
            self.rows["REACTIONS"].append((
                self._next("REACTIONS"), p.internal_id, self._doctor(p), c.RECORD_CURRENT, item_type, item_code, name,
                reaction + 1, c.REACTION_TEXTS[reaction], (1, 1, 2, 2, 3)[below(5)],
                sql_datetime(max(p.created, self._instant(recorded))), p.usual_doctor,
            ))
        return len(picks)

    def _immunisation(self, p: PatientSummary, vaccine_id: int, given: date, dose: int, end: date) -> None:
        if given > end or given < p.dob:
            return
        elsewhere = given < p.created.date()
        if elsewhere and ((given - p.dob).days > 2000 or given.year < self.today.year - 12):
            return  # only recent childhood vaccines given before joining the practice are recorded
        random, below = self.random, self.below
        giver = (self.nurse_ids[int(random() * len(self.nurse_ids))] if random() < 0.7 else self._doctor(p))
        infant = (given - p.dob).days < 1000
        site = 5 if vaccine_id == 3 else ((3, 4)[below(2)] if infant else _SITES[below(len(_SITES))])
        letters = (below(23), below(23), below(10000))  # the batch number's draws, made whether it is recorded or not
        when = self._instant(given)
        stamp = sql_datetime(when)
        ids = self.ids
        ids["IMMUNISATIONS"] += 1
        if elsewhere:
            self.rows["IMMUNISATIONS"].append((
                ids["IMMUNISATIONS"], c.RECORD_CURRENT, p.internal_id, 1, 0, 0, stamp, _VACCINE_NAMES[vaccine_id],
                vaccine_id, "", dose, 0, 2 if vaccine_id == 3 else 1,
                stamp if when >= p.created else sql_datetime(p.created), p.usual_doctor, 1,
            ))
        else:
            batch = f"{_BATCH_LETTERS[letters[0]]}{_BATCH_LETTERS[letters[1]]}{letters[2]:04d}"
            self.rows["IMMUNISATIONS"].append((
                ids["IMMUNISATIONS"], c.RECORD_CURRENT, p.internal_id, 0, giver, giver, stamp,
                _VACCINE_NAMES[vaccine_id], vaccine_id, batch, dose, site, 2 if vaccine_id == 3 else 1,
                stamp if when >= p.created else sql_datetime(p.created), giver, 1,
            ))

    def _immunisations(self, p: PatientSummary, age: int, end: date) -> None:
        rng, below = self.rng, self.below
        for days, vaccines, dose in _CHILD_SCHEDULE:
            due = p.dob + timedelta(days=days + below(22))
            if due > end or rng.random() > (0.3 if days > 4000 else 0.92):
                continue
            for vaccine_id in vaccines:
                self._immunisation(p, vaccine_id, due, dose, end)
        for season in (self.today.year - 2, self.today.year - 1):
            season_age = _age_on(p.dob, date(season, 5, 1))
            chance = 0.7 if season_age >= 65 else 0.4 if season_age >= 50 else 0.3 if season_age < 5 else 0.18
            if season_age >= 0 and rng.random() < chance:
                vaccine = 13 if season_age >= 65 else (11, 12)[below(2)]
                self._immunisation(p, vaccine, date(season, 4, 1) + timedelta(days=below(76)), 1, end)
        if age >= 65 and rng.random() < 0.3:
            first = self._day_between(self.today - timedelta(days=900), self.today - timedelta(days=200))
            self._immunisation(p, 16, first, 1, end)
            self._immunisation(p, 16, first + timedelta(days=60 + below(121)), 2, end)
        if age >= 70 and rng.random() < 0.3:
            self._immunisation(p, (2, 17)[below(2)], self._day_between(self.today - timedelta(days=1500), end), 1, end)
        if 18 <= age < 65 and rng.random() < 0.06:
            self._immunisation(p, 9, self._day_between(self.today - timedelta(days=1800), end), 1, end)

    def _investigations(self, p: PatientSummary, age: int, n_conditions: int, end: date) -> None:
        rng, below = self.rng, self.below
        count = (1 if rng.random() < 0.15 else 0) if age < 18 else below(3) + n_conditions // 2
        start = max(p.created.date(), self.today - timedelta(days=3 * 365))
        for _ in range(min(count, 5)):
            test, _w, abnormal_chance, _lines = c.INVESTIGATION_TESTS[
                bisect(_TEST_CUMULATIVE, rng.random() * _TEST_TOTAL, 0, len(_TEST_CUMULATIVE) - 1)]
            doctor = self._doctor(p)
            requested = self._instant(self._day_between(start, end))
            collected = self._instant(requested.date() + timedelta(days=below(8)), 7 * 3600 + 1800, 12 * 3600)
            collected = max(collected, requested)
            reported = collected + timedelta(minutes=240 + below(4081))
            if reported >= self.now:
                continue  # the report has not arrived yet
            checked, checked_by, actioned, action = None, 0, None, 0
            if rng.random() < 0.92:
                checked = self._working_time_after(reported, 4)
                if checked is not None:
                    checked_by = doctor if rng.random() < 0.9 else self._doctor(p)
                    if rng.random() < 0.75:
                        actioned = min(checked + timedelta(minutes=2 + below(239)), self.latest)
                        action = c.INVESTIGATION_ACTIONS[below(len(c.INVESTIGATION_ACTIONS))]
            abnormal = rng.random() < abnormal_chance
            report_id = self._next("INVESTIGATIONS")
            stamp = sql_datetime(reported)
            self.rows["INVESTIGATIONS"].append((
                report_id, c.RECORD_CURRENT, p.internal_id, doctor, stamp, sql_datetime(requested), c.LABS[below(len(c.LABS))],
                sql_datetime(collected), test, sql_midnight(reported.date()),
                reported.hour * 3600 + reported.minute * 60, 0 if abnormal else 1, 1,
                sql_datetime(checked) if checked else None, checked_by, (2 if abnormal else 1) if checked else 0,
                action, 1 if actioned else 0, sql_datetime(actioned) if actioned else None, stamp, 0,
            ))
            day = sql_midnight(reported.date())
            for index, (name, loinc, bp_code, units, low, high, spec, limits) in enumerate(_TEST_LINES[test]):
                off = abnormal and index == 0
                value = (high * (1.1 + rng.random() * 0.4) if off else low + (high - low) * (0.1 + rng.random() * 0.8))
                self.rows["REPORTVALUES"].append((
                    self._next("REPORTVALUES"), c.RECORD_CURRENT, p.internal_id, report_id, day, "NM", loinc, bp_code,
                    name, format(value, spec), units, limits, "H" if off else "", stamp, 0,
                ))

    def _old_visits(self, p: PatientSummary, age: int, n_conditions: int, end: date) -> None:
        """Visits in the two years before the appointment book's window, with their reasons and observations."""
        rng, below = self.rng, self.below
        stop = min(end, self.window_start - timedelta(days=1))
        start = max(p.created.date(), self.window_start - timedelta(days=2 * 365))
        if stop < start:
            return
        count = below(3) if age < 18 else min(6, below(4) + n_conditions)
        days = sorted(self._day_between(start, stop) for _ in range(count))
        for i, d in enumerate(days):
            user = self._doctor(p) if rng.random() < 0.85 else self.nurse_ids[int(rng.random() * len(self.nurse_ids))]
            member = self.member[user]
            when = self._instant(d)
            code = _VISIT_CODES[bisect(_VISIT_CUMULATIVE, rng.random() * _VISIT_TOTAL, 0, len(_VISIT_CODES) - 1)][0]
            visit_id = self._next("VISITS")
            stamp = sql_datetime(when)
            seconds = when.hour * 3600 + when.minute * 60
            duration = (600, 900, 900, 1200, 1800)[below(5)]
            self.rows["VISITS"].append((visit_id, p.internal_id, user, c.RECORD_CURRENT, code, member.display, stamp,
                                        stamp, seconds, seconds + duration, duration // 60, member.location_id, stamp,
                                        user))
            self.rows["VISITREASON"].append((visit_id, c.RECORD_CURRENT, p.internal_id, visit_id,
                                             c.VISIT_REASONS[below(len(c.VISIT_REASONS))], stamp, user))
            if age >= 18 and i == len(days) - 1:
                self._observations(p, age, when, user)

    def _observations(self, p: PatientSummary, age: int, when: datetime, user: int) -> None:
        rng = self.rng
        day, seconds, stamp = sql_midnight(when.date()), when.hour * 3600 + when.minute * 60, sql_datetime(when)
        values = []
        if rng.random() < 0.7:
            systolic = int(105 + min(age, 90) * 0.45 + rng.gauss(0, 12))
            values += [(c.OBS_SYSTOLIC, str(systolic)), (c.OBS_DIASTOLIC, str(int(systolic * 0.62 + rng.gauss(0, 6))))]
        if rng.random() < 0.4:
            height = rng.gauss(176 if p.sex == 1 else 163, 7)
            weight = rng.gauss(86 if p.sex == 1 else 72, 14)
            values += [(c.OBS_HEIGHT, f"{height:.0f}"), (c.OBS_WEIGHT, f"{weight:.1f}"),
                       (c.OBS_BMI, f"{weight / (height / 100) ** 2:.1f}")]
        for code, value in values:
            self.rows["OBSERVATIONS"].append((self._next("OBSERVATIONS"), c.RECORD_CURRENT, p.internal_id, user, day,
                                              seconds, c.OBSERVATION_NAMES[code], code, value, stamp, user))

    def _reminders(self, p: PatientSummary, age: int, conditions: list[tuple[int, date]]) -> None:
        rng, below = self.rng, self.below
        wanted = []
        if age >= 65 and rng.random() < 0.5:
            wanted.append((1, date(self.today.year if self.today.month < 4 else self.today.year + 1, 4, 1)))
        if p.sex == c.SEX_FEMALE and 25 <= age < 75 and rng.random() < 0.25:
            wanted.append((2, self.today + timedelta(days=-60 + below(761))))
        if any(code == 2 for code, _ in conditions) and rng.random() < 0.7:
            wanted.append((3, self.today + timedelta(days=-30 + below(211))))
        for reason_id, due in wanted:
            reason = next(r for r in c.LOOKUPS["REMINDERREASONS"][1] if r[0] == reason_id)
            sent = due < self.today and rng.random() < 0.6
            self.rows["REMINDERS"].append((
                self._next("REMINDERS"), c.RECORD_CURRENT, 2 if sent else 0, 0, p.internal_id, p.usual_doctor,
                reason_id, reason[3], sql_midnight(due), reason[4], reason[5],
                sql_datetime(max(p.created, self.now - timedelta(days=30 + below(371)))), p.usual_doctor,
                self.member[p.usual_doctor].location_id if p.usual_doctor else 1,
            ))
        if rng.random() < 0.04:
            due = self.today + timedelta(days=-20 + below(61))
            added = max(p.created, self.now - timedelta(days=10 + below(81)))
            done = due < self.today and rng.random() < 0.5
            doctor = self._doctor(p)
            self.rows["ACTIONS"].append((
                self._next("ACTIONS"), p.internal_id, doctor, c.RECORD_CURRENT,
                _ACTION_TEXTS[below(4)], sql_midnight(due), sql_datetime(added), (1, 2, 3)[below(3)],
                1 if done else 0, sql_datetime(self._instant(due)) if done else None, doctor if done else 0,
                sql_datetime(added), doctor,
            ))

    def _correspondence(self, p: PatientSummary, end: date) -> None:
        below = self.below
        category, subject, sender = c.CORRESPONDENCE[below(len(c.CORRESPONDENCE))]
        received = self._instant(self._day_between(max(p.created.date(), end - timedelta(days=700)), end))
        doctor = self._doctor(p)
        checked = self._working_time_after(received, 3)
        self.rows["CORRESPONDENCEIN"].append((
            self._next("CORRESPONDENCEIN"), c.RECORD_CURRENT, 0, p.internal_id, doctor, sql_datetime(received), 0,
            sender, category, subject, f"{subject} for the patient", sql_datetime(checked) if checked else None,
            doctor if checked else 0, (0, 0, 6, 7)[below(4)] if checked else 0, 1 if checked else 0,
            sql_datetime(received), 0,
        ))
