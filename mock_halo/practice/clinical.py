"""Clinical records per patient: past history, medicines, allergies, immunisations,
investigations and visits before the appointment book's window.

Records are consistent with the patient: conditions appear with age, medicines
follow the active conditions, immunisations follow the childhood schedule and
adult recommendations, and nothing is dated before birth, after death or
leaving, or after the reference instant.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from . import codes as c
from .model import PatientSummary, Staff, sql_datetime, sql_midnight

PASTHISTORY_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "CONDITIONID", "ITEMTEXT", "DIAGNOSISDATE", "STATUS",
                       "USERID", "CREATED")
CURRENTRX_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "DRUGNAME", "DOSE", "FREQUENCY", "ROUTE",
                     "QUANTITY", "REPEATS", "PRN", "INDICATION", "STARTDATE", "LASTDATE", "CREATED")
REACTION_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "ALLERGENID", "ITEMNAME", "REACTION", "SEVERITY",
                    "REACTIONTYPE", "USERID", "CREATED")
IMMUNISATION_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "VACCINEID", "GIVENDATE", "DOSE", "BATCHNO",
                        "SITE", "CREATED")
INVESTIGATION_COLUMNS = ("REPORTID", "RECORDSTATUS", "INTERNALID", "USERID", "TESTNAME", "LAB", "REQUESTDATE",
                         "COLLECTIONDATE", "REPORTDATE", "CHECKDATE", "CHECKEDBY", "ACTIONDATE", "ACTIONTEXT",
                         "ABNORMAL", "RESULTTEXT", "CREATED")
VISIT_COLUMNS = ("VISITID", "RECORDSTATUS", "INTERNALID", "USERID", "LOCATIONID", "VISITDATE", "VISITCODE", "DURATION",
                 "APPOINTMENTID", "REASON", "CREATED")

#: Conditions whose chance does not grow with age.
_FLAT_RISK = frozenset({3, 5, 9, 14, 15, 16})
_CONDITION_NAMES = {row[0]: row[1] for row in c.LOOKUP_ROWS["CONDITIONS"]}
_ALLERGENS = c.LOOKUP_ROWS["ALLERGIES"]
_TEST_WEIGHTS = [t[1] for t in c.INVESTIGATION_TESTS]
#: National Immunisation Program, childhood part: (age in days, vaccine ids, dose label).
_CHILD_SCHEDULE = (
    (60, (1, 2, 3), "1"), (120, (1, 2, 3), "2"), (180, (1,), "3"), (365, (4, 2, 5), "1"),
    (548, (6, 7), "1"), (1461, (8,), "1"), (4563, (10, 9), "1"),
)
_VISIT_CODES = ((c.VISIT_SURGERY, 85), (c.VISIT_TELEHEALTH, 7), (c.VISIT_TELEPHONE, 5), (c.VISIT_HOME, 2),
                (c.VISIT_RACF, 1))


def _age_on(dob: date, d: date) -> int:
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


class ClinicalFactory:
    """Creates one patient's clinical rows; keeps the id counters of each table."""

    def __init__(self, rng: random.Random, staff: Staff, reference: datetime, window_start: date) -> None:
        self.rng = rng
        self.reference = reference
        self.today = reference.date()
        self.window_start = window_start
        self.doctors = [m for m in staff.by_category(c.CAT_GP, c.CAT_REGISTRAR)]
        self.nurses = [m for m in staff.by_category(c.CAT_NURSE)] or self.doctors
        self.location_of = {m.user_id: m.location_id for m in staff.members}
        self.ids = {"PASTHISTORY": 0, "CURRENTRX": 0, "REACTIONS": 0, "IMMUNISATIONS": 0, "INVESTIGATIONS": 0,
                    "VISITS": 0}
        self.rows: dict[str, list[tuple]] = {name: [] for name in self.ids}

    def take_rows(self) -> dict[str, list[tuple]]:
        """The rows made since the last call (and forget them)."""
        out, self.rows = self.rows, {name: [] for name in self.ids}
        return out

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _doctor(self, p: PatientSummary) -> int:
        if p.usual_doctor is not None and self.rng.random() < 0.75:
            return p.usual_doctor
        return self.rng.choice(self.doctors).user_id

    def _instant(self, d: date, start: int = 8 * 3600 + 1800, end: int = 17 * 3600) -> datetime:
        seconds = start + self.rng.randrange((end - start) // 900) * 900
        # Never after the reference instant: records of "today" are from earlier this morning.
        return min(datetime.combine(d, time()) + timedelta(seconds=seconds), self.reference - timedelta(minutes=30))

    def _day_between(self, start: date, end: date) -> date:
        span = (end - start).days
        d = start + timedelta(days=self.rng.randint(0, span)) if span > 0 else start
        if d.weekday() >= 5 and d - timedelta(days=2) >= start:
            d -= timedelta(days=d.weekday() - 4)  # back to Friday
        return d

    def _working_time_after(self, after: datetime, max_days: int) -> datetime | None:
        """A working-hours instant within ``max_days`` days after ``after``; None if that is past "now"."""
        d = after.date() + timedelta(days=self.rng.randint(0 if after.hour < 16 else 1, max_days))
        when = max(self._instant(d), after + timedelta(minutes=5))
        return when if when < self.reference else None

    # -- per patient -----------------------------------------------------------
    def add_patient(self, p: PatientSummary) -> None:
        if p.deleted:
            return
        end = min(p.until or self.today, self.today)
        age = _age_on(p.dob, end)
        conditions = self._past_history(p, age, end)
        self._medicines(p, conditions, end)
        if self.rng.random() < 0.18:
            self._reactions(p, end)
        self._immunisations(p, age, end)
        self._investigations(p, age, len(conditions), end)
        self._old_visits(p, age, len(conditions), end)

    def _past_history(self, p: PatientSummary, age: int, end: date) -> list[tuple[int, date]]:
        rng = self.rng
        found = []
        for cid, min_age, p70 in c.CONDITION_RISK:
            if age < min_age:
                continue
            chance = p70 if cid in _FLAT_RISK else p70 * min(1.2, max(0.05, (age - min_age) / max(1, 70 - min_age)))
            if rng.random() >= chance:
                continue
            onset_start = p.dob + timedelta(days=365 * min_age)
            diagnosed = self._day_between(onset_start, end)
            created = max(p.created, datetime.combine(diagnosed, time(10)))
            status = 2 if cid == 16 or rng.random() < 0.08 else 1
            self.rows["PASTHISTORY"].append((
                self._next("PASTHISTORY"), c.RECORD_CURRENT, p.internal_id, cid, _CONDITION_NAMES[cid],
                sql_midnight(diagnosed), status, self._doctor(p) if diagnosed >= p.created.date() else None,
                sql_datetime(min(created, self.reference)),
            ))
            if status == 1:
                found.append((cid, diagnosed))
        return found

    def _medicines(self, p: PatientSummary, conditions: list[tuple[int, date]], end: date) -> None:
        rng = self.rng
        seen: set[str] = set()
        for cid, diagnosed in conditions:
            options = c.DRUGS_FOR_CONDITION.get(cid)
            if not options or rng.random() < 0.2:
                continue
            picks = [rng.choice(options)]
            if len(options) > 1 and rng.random() < 0.2:
                picks.append(rng.choice(options))
            for name, dose, freq, route, qty, repeats, prn in picks:
                if name in seen:
                    continue
                seen.add(name)
                start = self._day_between(diagnosed, end)
                last = self._day_between(max(start, end - timedelta(days=180)), end)
                doctor = self._doctor(p)
                self.rows["CURRENTRX"].append((
                    self._next("CURRENTRX"), c.RECORD_CURRENT, p.internal_id, doctor, name, dose, freq, route, qty,
                    repeats, prn, _CONDITION_NAMES[cid], sql_midnight(start), sql_midnight(last),
                    sql_datetime(max(p.created, self._instant(start))),
                ))

    def _reactions(self, p: PatientSummary, end: date) -> None:
        rng = self.rng
        for allergen_id, name, _cls in rng.sample(_ALLERGENS, rng.choice((1, 1, 1, 2))):
            recorded = self._day_between(p.created.date(), end)
            self.rows["REACTIONS"].append((
                self._next("REACTIONS"), c.RECORD_CURRENT, p.internal_id, allergen_id, name,
                rng.choice(c.REACTION_TEXTS), rng.choice(c.SEVERITIES),
                "Allergy" if rng.random() < 0.7 else "Intolerance", self._doctor(p),
                sql_datetime(max(p.created, self._instant(recorded))),
            ))

    def _immunisation(self, p: PatientSummary, vaccine_id: int, given: date, dose: str, end: date) -> None:
        if given < p.created.date() or given > end or given < p.dob:
            return
        rng = self.rng
        giver = rng.choice(self.nurses).user_id if rng.random() < 0.7 else self._doctor(p)
        infant = (given - p.dob).days < 1000
        site = "Oral" if vaccine_id == 3 else rng.choice(c.INJECTION_SITES[2:4] if infant else c.INJECTION_SITES[:2])
        batch = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + f"{rng.randrange(10000):04d}"
        when = self._instant(given)
        self.rows["IMMUNISATIONS"].append((
            self._next("IMMUNISATIONS"), c.RECORD_CURRENT, p.internal_id, giver, vaccine_id, sql_datetime(when),
            dose, batch, site, sql_datetime(when),
        ))

    def _immunisations(self, p: PatientSummary, age: int, end: date) -> None:
        rng = self.rng
        for days, vaccines, dose in _CHILD_SCHEDULE:
            due = p.dob + timedelta(days=days + rng.randint(0, 21))
            if due > end or rng.random() > (0.3 if days > 4000 else 0.92):
                continue
            for vaccine_id in vaccines:
                self._immunisation(p, vaccine_id, due, dose, end)
        for season in range(self.today.year - 3, self.today.year):
            season_age = _age_on(p.dob, date(season, 5, 1))
            chance = 0.7 if season_age >= 65 else 0.4 if season_age >= 50 else 0.3 if season_age < 5 else 0.18
            if season_age >= 0 and rng.random() < chance:
                vaccine = 13 if season_age >= 65 else rng.choice((11, 12))
                self._immunisation(p, vaccine, date(season, 4, 1) + timedelta(days=rng.randint(0, 75)), "1", end)
        if _age_on(p.dob, date(2021, 6, 1)) >= 18 and rng.random() < 0.5:
            vaccine = rng.choice((14, 14, 15))
            first = date(2021, 5, 1) + timedelta(days=rng.randint(0, 150))
            self._immunisation(p, vaccine, first, "1", end)
            self._immunisation(p, vaccine, first + timedelta(days=rng.randint(21, 60)), "2", end)
            if rng.random() < 0.6:
                self._immunisation(p, 14, date(2022, 1, 10) + timedelta(days=rng.randint(0, 200)), "3", end)
        if age >= 65 and rng.random() < 0.3:
            first = self._day_between(self.today - timedelta(days=900), self.today - timedelta(days=200))
            self._immunisation(p, 16, first, "1", end)
            self._immunisation(p, 16, first + timedelta(days=rng.randint(60, 180)), "2", end)
        if age >= 70 and rng.random() < 0.3:
            given = self._day_between(self.today - timedelta(days=1500), end)
            self._immunisation(p, rng.choice((2, 17)), given, "1", end)
        if age >= 75 and rng.random() < 0.1:
            self._immunisation(p, 20, date(2025, 3, 1) + timedelta(days=rng.randint(0, 200)), "1", end)
        if 18 <= age < 65 and rng.random() < 0.08:
            self._immunisation(p, 9, self._day_between(self.today - timedelta(days=1800), end), "1", end)

    def _investigations(self, p: PatientSummary, age: int, n_conditions: int, end: date) -> None:
        rng = self.rng
        count = (1 if rng.random() < 0.2 else 0) if age < 18 else rng.randint(0, 3) + n_conditions
        start = max(p.created.date(), self.today - timedelta(days=3 * 365))
        for _ in range(min(count, 8)):
            test, _w, abnormal_chance = rng.choices(c.INVESTIGATION_TESTS, _TEST_WEIGHTS)[0]
            doctor = self._doctor(p)
            requested = self._instant(self._day_between(start, end))
            collected = self._instant(requested.date() + timedelta(days=rng.randint(0, 7)), 7 * 3600 + 1800, 12 * 3600)
            collected = max(collected, requested)
            reported = collected + timedelta(minutes=rng.randint(240, 4320))
            if reported >= self.reference:
                continue  # the report has not arrived yet
            checked = checked_by = actioned = None
            action = ""
            if rng.random() < 0.92:
                checked = self._working_time_after(reported, 4)
                if checked is not None:
                    checked_by = doctor if rng.random() < 0.9 else self._doctor(p)
                    if rng.random() < 0.75:
                        actioned = min(checked + timedelta(minutes=rng.randint(2, 240)), self.reference)
                        action = rng.choice(c.INVESTIGATION_ACTIONS)
            abnormal = 1 if rng.random() < abnormal_chance else 0
            self.rows["INVESTIGATIONS"].append((
                self._next("INVESTIGATIONS"), c.RECORD_CURRENT, p.internal_id, doctor, test, rng.choice(c.LABS),
                sql_datetime(requested), sql_datetime(collected), sql_datetime(reported),
                sql_datetime(checked) if checked else None, checked_by, sql_datetime(actioned) if actioned else None,
                action, abnormal, "Abnormal result - see report" if abnormal else "Within normal limits",
                sql_datetime(requested),
            ))

    def _old_visits(self, p: PatientSummary, age: int, n_conditions: int, end: date) -> None:
        """Visits in the three years before the appointment book's window."""
        rng = self.rng
        stop = min(end, self.window_start - timedelta(days=1))
        start = max(p.created.date(), self.window_start - timedelta(days=3 * 365))
        if stop < start:
            return
        count = rng.randint(0, 3) if age < 18 else min(10, rng.randint(0, 4) + n_conditions)
        days = sorted(self._day_between(start, stop) for _ in range(count))
        for d in days:
            doctor = self._doctor(p) if rng.random() < 0.85 else rng.choice(self.nurses).user_id
            when = self._instant(d)
            code = rng.choices([v for v, _ in _VISIT_CODES], [w for _, w in _VISIT_CODES])[0]
            self.rows["VISITS"].append((
                self._next("VISITS"), c.RECORD_CURRENT, p.internal_id, doctor, self.location_of[doctor],
                sql_datetime(when), code, rng.choice((600, 900, 900, 1200, 1800)), None,
                rng.choice(c.VISIT_REASONS), sql_datetime(when),
            ))
