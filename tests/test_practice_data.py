"""The fake practice's data: determinism, valid identifiers, a consistent appointment book."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_halo.clock import DEFAULT_EPOCH
from mock_halo.practice import (
    DEFAULT_ANCHOR,
    build_catalogue,
    clear_cache,
    copy_catalogue,
    generate_practice,
    populate,
    table_columns,
)
from mock_halo.practice import identifiers as ids
from mock_halo.practice.holidays import is_public_holiday

Rows = dict[str, list[dict[str, Any]]]
TODAY = DEFAULT_ANCHOR
#: A "now" in opening hours: 10:00 in Sydney on the default day.
OPENING_HOURS = datetime(2026, 1, 4, 23, 0, tzinfo=UTC)


def collect(seed: int, patients: int, **kwargs: Any) -> Rows:
    out: Rows = defaultdict(list)
    for batch in generate_practice(seed, patients, **kwargs):
        out[batch.table].extend(dict(zip(batch.columns, row, strict=True)) for row in batch.rows)
    return out


def digest(conn: sqlite3.Connection) -> str:
    h = hashlib.sha256()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                                "ORDER BY name"):  # the data, not SQLite's own statistics
        h.update(name.encode())
        for row in conn.execute(f"SELECT * FROM {name} ORDER BY rowid"):
            h.update(repr(row).encode())
    return h.hexdigest()


def fresh(seed: int, patients: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    populate(conn, "BestPractice", "BPSPatients", seed, patients)
    return conn


@pytest.fixture(scope="module")
def default_db() -> sqlite3.Connection:
    return build_catalogue("BestPractice", "BPSPatients", 42, 200)


@pytest.fixture(scope="module")
def default_rows() -> Rows:
    return collect(42, 200)


# -- determinism ------------------------------------------------------------------
def test_same_seed_gives_identical_databases() -> None:
    assert digest(fresh(7, 60)) == digest(fresh(7, 60))


def test_different_seeds_give_different_databases() -> None:
    a, b = fresh(7, 60), fresh(8, 60)
    assert digest(a) != digest(b)
    names = lambda c: c.execute("SELECT FIRSTNAME, SURNAME FROM PATIENTS ORDER BY INTERNALID").fetchall()  # noqa: E731
    assert names(a) != names(b)


def test_build_catalogue_matches_a_fresh_build_and_is_cached(default_db: sqlite3.Connection) -> None:
    assert digest(default_db) == digest(fresh(42, 200))
    assert build_catalogue("BestPractice", "bpspatients", 42, 200) is default_db  # names are case-insensitive


def test_data_is_identical_in_another_process_with_other_hash_seed() -> None:
    code = (
        "import hashlib; from mock_halo.practice import generate_practice\n"
        "h = hashlib.sha256()\n"
        "for b in generate_practice(11, 40):\n"
        "    h.update(repr((b.table, b.columns, b.rows)).encode())\n"
        "print(h.hexdigest())\n"
    )
    here = hashlib.sha256()
    for b in generate_practice(11, 40):
        here.update(repr((b.table, b.columns, b.rows)).encode())
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True)
    assert out.stdout.strip() == here.hexdigest()


def test_batching_does_not_change_the_data() -> None:
    # 2500 patients span two PATIENTS batches; ids stay contiguous and batch size never leaks into the data.
    rows = collect(3, 2500)
    assert [p["INTERNALID"] for p in rows["PATIENTS"]] == list(range(1, 2501))
    for name in ("VISITS", "IMMUNISATIONS", "INVESTIGATIONS"):
        key = "VISITID" if name == "VISITS" else "REPORTID" if name == "INVESTIGATIONS" else "RECORDID"
        assert [r[key] for r in rows[name]] == list(range(1, len(rows[name]) + 1))


def test_progress_is_reported_to_completion() -> None:
    calls: list[tuple[str, int, int]] = []
    for _ in generate_practice(5, 30, progress=lambda s, d, t: calls.append((s, d, t))):
        pass
    stages = [c[0] for c in calls]
    assert stages[0] == "staff"
    assert ("patients", 30, 30) in calls
    assert calls[-1][0] == "appointments" and calls[-1][1] == calls[-1][2]


# -- identifiers and shapes -----------------------------------------------------
def check_patient_identifiers(patients: list[dict[str, Any]]) -> None:
    for p in patients:
        if p["MEDICARENO"]:
            assert ids.is_valid_medicare(p["MEDICARENO"]), p["MEDICARENO"]
            assert p["MEDICARELINENO"] in "123456789" and len(p["MEDICARELINENO"]) == 1
            assert re.fullmatch(r"(0[1-9]|1[0-2])/20\d\d", p["MEDICAREEXPIRY"])
        else:
            assert p["MEDICARELINENO"] == "" and p["MEDICAREEXPIRY"] == ""
        if p["IHI"]:
            assert ids.is_valid_healthcare_identifier(p["IHI"], "800360"), p["IHI"]
        if p["DVANO"]:
            assert p["DVACODE"] in (1, 2, 3)
            assert re.fullmatch(r"[NVQSWT][A-Z]{1,2}\d+[A-H]?", p["DVANO"])
        else:
            assert p["DVACODE"] == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**63))
def test_identifiers_valid_for_any_seed(seed: int) -> None:
    rows = collect(seed, 40)
    check_patient_identifiers(rows["PATIENTS"])
    for u in rows["USERS"]:
        if u["PROVIDERNO"]:
            assert ids.is_valid_provider_number(u["PROVIDERNO"])
            assert ids.is_valid_healthcare_identifier(u["HPII"], "800361")
    check_book(rows)


def test_default_practice_identifiers_and_shapes(default_rows: Rows) -> None:
    patients = default_rows["PATIENTS"]
    check_patient_identifiers(patients)
    cards: dict[str, list[str]] = defaultdict(list)
    for p in patients:
        if p["MEDICARENO"]:
            cards[p["MEDICARENO"]].append(p["MEDICARELINENO"])
        assert re.fullmatch(r"\d{4}", p["POSTCODE"])
        assert p["MOBILEPHONE"] == "" or re.fullmatch(r"04\d\d \d{3} \d{3}", p["MOBILEPHONE"])
        for phone in (p["HOMEPHONE"], p["WORKPHONE"]):
            assert phone == "" or re.fullmatch(r"\(0[2378]\) \d{4} \d{4}", phone)
        assert len(p["ADDRESS1"]) <= 40 and len(p["CITY"]) <= 40 and len(p["FIRSTNAME"]) <= 40
    for e in default_rows["EMAIL"]:
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.]+\.[a-z]+", e["EMAIL"])
    assert len({e["INTERNALID"] for e in default_rows["EMAIL"]}) == len(default_rows["EMAIL"]), "one address each"
    assert all(len(irns) == len(set(irns)) for irns in cards.values()), "one IRN per person on a card"
    assert any(len(irns) > 1 for irns in cards.values()), "families share a card"
    heads = {p["INTERNALID"] for p in patients if p["HEADOFFAMILYID"] == 0}
    assert all(p["HEADOFFAMILYID"] in heads for p in patients if p["HEADOFFAMILYID"])
    ihis = [p["IHI"] for p in patients if p["IHI"]]
    assert len(ihis) == len(set(ihis)) and len(ihis) > 150
    assert sum(1 for p in patients if p["DVANO"]) >= 1
    assert sum(1 for p in patients if p["MEDICARENO"]) > 170


def test_default_practice_population(default_db: sqlite3.Connection) -> None:
    rows = default_db.execute("SELECT DOB, StatusText, Sex FROM BPS_Patients").fetchall()
    ages = [(TODAY - date.fromisoformat(dob[:10])).days // 365 for dob, _, _ in rows]
    assert min(ages) <= 2 and max(ages) >= 90
    assert {s for _, s, _ in rows} == {"Active", "Inactive", "Deceased"}
    assert {x for _, _, x in rows} >= {"Male", "Female"}
    clinicians = default_db.execute("SELECT COUNT(*) FROM USERS WHERE APPOINTMENTS = 1").fetchone()[0]
    assert 6 <= clinicians <= 10
    for (provider,) in default_db.execute("SELECT ProviderNo FROM BPS_Users WHERE ProviderNo <> ''"):
        assert ids.is_valid_provider_number(provider)
    deceased = default_db.execute("SELECT DATEOFDEATH FROM PATIENTS WHERE PATIENTSTATUS = 3").fetchall()
    assert deceased and all(d is not None for (d,) in deceased)
    assert default_db.execute("SELECT COUNT(*) FROM USERS WHERE USERSTATUS = 2").fetchone()[0] == 1  # a GP who left
    assert default_db.execute("SELECT COUNT(*) FROM CLINICAL").fetchone()[0] == default_db.execute(
        "SELECT COUNT(*) FROM PATIENTS WHERE RECORDSTATUS = 1").fetchone()[0]


def test_stored_value_formats(default_db: sqlite3.Connection) -> None:
    patterns = {"DATETIME": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "DATE": r"\d{4}-\d\d-\d\d"}
    seen = defaultdict(int)
    for name, cols in table_columns().items():
        for decl in cols:
            values = [v for (v,) in default_db.execute(f'SELECT "{decl.name}" FROM "{name}"') if v is not None]
            seen[decl.base] += len(values)
            if decl.type in patterns:
                assert all(isinstance(v, str) and re.fullmatch(patterns[decl.type], v) for v in values), (name, decl)
            elif decl.base in ("int", "tinyint", "bit"):
                assert all(type(v) is int for v in values), (name, decl)
            elif decl.length is not None and decl.length > 0:
                assert all(isinstance(v, str) and len(v) <= decl.length for v in values), (name, decl)
            if not decl.nullable:
                assert len(values) == default_db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0], (name, decl)
    assert seen["char"] > 0 and seen["datetime"] > 0 and seen["varchar"] > 0


def test_foreign_keys_hold(default_db: sqlite3.Connection) -> None:
    assert default_db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_nothing_is_dated_on_or_after_the_anchor_except_the_book(default_db: sqlite3.Connection) -> None:
    start = TODAY.isoformat() + "T00:00:00"
    for name, col in [("VISITS", "VISITDATE"), ("IMMUNISATIONS", "GIVENDATE"), ("INVESTIGATIONS", "REPORTDATE"),
                      ("INVESTIGATIONS", "CHECKDATE"), ("INVESTIGATIONS", "ACTIONDATE"), ("PATIENTS", "CREATED"),
                      ("PATIENTS", "DOB"), ("APPOINTMENTS", "CREATED"), ("CURRENTRX", "LASTDATE"),
                      ("OBSERVATIONS", "OBSDATE"), ("REPORTVALUES", "REPORTDATE"), ("CORRESPONDENCEIN", "CREATED")]:
        latest = default_db.execute(f"SELECT MAX({col}) FROM {name}").fetchone()[0]
        assert latest < start, (name, col, latest)
    bad = default_db.execute(
        "SELECT COUNT(*) FROM IMMUNISATIONS I JOIN PATIENTS P ON P.INTERNALID = I.INTERNALID WHERE I.GIVENDATE < P.DOB"
    ).fetchone()[0]
    assert bad == 0


def test_investigation_dates_are_ordered_and_values_belong_to_reports(default_db: sqlite3.Connection) -> None:
    for collected, reported, checked, actioned in default_db.execute(
            "SELECT Collected, Reported, Checked, Actioned FROM BPS_Investigations"):
        assert collected[:10] <= reported[:10]  # Reported is the date (REPORTDATE), REPORTTIME the time
        assert checked is None or reported <= checked
        assert actioned is None or (checked is not None and checked <= actioned)
    orphans = default_db.execute("SELECT COUNT(*) FROM REPORTVALUES V LEFT JOIN INVESTIGATIONS I ON "
                                 "I.REPORTID = V.REPORTID AND I.INTERNALID = V.INTERNALID "
                                 "WHERE I.REPORTID IS NULL").fetchone()[0]
    assert orphans == 0
    assert default_db.execute("SELECT COUNT(*) FROM REPORTVALUES WHERE BPCODE = 1").fetchone()[0] > 0


# -- the appointment book ---------------------------------------------------------
def check_book(rows: Rows, today: date = TODAY) -> None:
    """Every appointment-book invariant, on generated rows (the data is as at the start of ``today``)."""
    sessions = defaultdict(list)
    for s in rows["SESSIONS"]:
        sessions[(s["USERID"], s["DAYOFWEEK"])].append((s["STARTTIME"], s["ENDTIME"]))
        assert s["STARTTIME"] % 900 == 0 and s["STARTTIME"] < s["ENDTIME"] and s["LENGTH"] == 900
    away = defaultdict(set)
    for d in rows["DAYSAWAY"]:
        first, last = date.fromisoformat(d["STARTDATE"][:10]), date.fromisoformat(d["FINISHDATE"][:10])
        away[d["USERID"]] |= {first + timedelta(days=i) for i in range((last - first).days + 1)}
    patients = {p["INTERNALID"]: p for p in rows["PATIENTS"]}
    by_user_day = defaultdict(list)
    patient_days = set()
    for a in rows["APPOINTMENTS"]:
        assert a["APPOINTMENTDATE"].endswith("T00:00:00")
        d = date.fromisoformat(a["APPOINTMENTDATE"][:10])
        t, length = a["APPOINTMENTTIME"], a["APPOINTMENTLENGTH"]
        assert abs((d - today).days) <= 60
        assert not is_public_holiday(d) and d not in away[a["USERID"]]
        dow = (d.weekday() + 1) % 7 + 1
        assert any(start <= t and t + length <= end and (t - start) % 900 == 0
                   for start, end in sessions[(a["USERID"], dow)]), a
        assert length % 900 == 0 and length > 0
        by_user_day[(a["USERID"], d)].append((t, t + length))
        assert (a["INTERNALID"], d) not in patient_days, "one appointment a day per patient"
        patient_days.add((a["INTERNALID"], d))
        p = patients[a["INTERNALID"]]
        assert p["RECORDSTATUS"] == 1
        assert a["APPOINTMENTDATE"] >= p["CREATED"][:10]
        if d >= today:
            assert p["PATIENTSTATUS"] == 1, "only active patients have appointments from today on"
        check_status(a, d, today)
    for spans in by_user_day.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, "double booking"
    visits = {v["VISITID"]: v for v in rows["VISITS"]}
    cancelled = {c["APPOINTMENTID"] for c in rows["CANCELLATIONS"]}
    assert cancelled == {c["APPOINTMENTID"] for c in rows["CANCELLEDAPPOINTMENTS"]}
    invoiced = {i["APPOINTMENTID"] for i in rows["INVOICES"]}
    for a in rows["APPOINTMENTS"]:
        attended = a["APPOINTMENTCODE"] in (6, 7)  # Completed, Paid
        assert (a["VISITID"] != 0) == attended and (a["RECORDID"] in invoiced) == attended, a
        assert (a["RECORDID"] in cancelled) == (a["RECORDSTATUS"] == 2), a
        if attended:
            v = visits[a["VISITID"]]
            assert v["INTERNALID"] == a["INTERNALID"] and v["USERID"] == a["USERID"]
            assert v["VISITDATE"][:10] == a["APPOINTMENTDATE"][:10]


def check_status(a: dict[str, Any], d: date, today: date) -> None:
    code, arrival, consult = a["APPOINTMENTCODE"], a["ARRIVALTIME"], a["CONSULTATIONTIME"]
    assert a["RECORDSTATUS"] in (1, 2)
    if d < today and a["RECORDSTATUS"] == 1:
        assert code in (6, 7, 10)  # Completed, Paid, Did not attend
    else:
        assert code == 1  # Booked (a cancelled booking keeps its status)
    if code in (6, 7):
        assert 0 < arrival <= consult
    else:
        assert arrival == 0 and consult == 0


def test_default_appointment_book_is_consistent(default_rows: Rows) -> None:
    check_book(default_rows)
    codes = {(a["APPOINTMENTCODE"], a["RECORDSTATUS"]) for a in default_rows["APPOINTMENTS"]}
    assert codes == {(1, 1), (1, 2), (6, 1), (7, 1), (10, 1)}, "booked, cancelled, completed, paid, did not attend"
    days = {a["APPOINTMENTDATE"][:10] for a in default_rows["APPOINTMENTS"]}
    assert min(days) < (TODAY - timedelta(days=55)).isoformat()
    assert max(days) > (TODAY + timedelta(days=50)).isoformat()
    assert "2025-12-25" not in days and "2026-01-01" not in days  # public holidays
    assert TODAY.isoformat() in days, "today's book is full of bookings"
    assert sum(1 for a in default_rows["APPOINTMENTS"] if a["VIDEOURL"]) > 0
    assert any(d["STARTDATE"] > TODAY.isoformat() for d in default_rows["DAYSAWAY"]), "someone is away soon"


def test_book_follows_another_anchor_date() -> None:
    rows = collect(9, 60, anchor=date(2026, 3, 4))
    check_book(rows, date(2026, 3, 4))
    assert any(a["APPOINTMENTDATE"] == "2026-03-04T00:00:00" for a in rows["APPOINTMENTS"])


def test_an_aware_anchor_is_taken_in_sydney_time() -> None:
    rows = collect(42, 30, anchor=OPENING_HOURS)
    assert rows == collect(42, 30, anchor=date(2026, 1, 5))
    assert collect(42, 30, anchor=datetime(2026, 1, 5, 23, 59)) == rows, "the anchor is a date"


def test_an_empty_practice_still_has_staff_and_sessions() -> None:
    rows = collect(1, 0)
    assert rows["USERS"] and rows["SESSIONS"]
    assert not rows["PATIENTS"] and not rows["APPOINTMENTS"]


def test_anchor_default_is_the_clock_epoch_in_sydney() -> None:
    assert DEFAULT_ANCHOR == date(2026, 1, 5)  # 09:00Z on the 5th is 20:00 AEDT the same day
    assert DEFAULT_EPOCH.astimezone(ZoneInfo("Australia/Sydney")).date() == DEFAULT_ANCHOR


# -- catalogues and caching ---------------------------------------------------
def test_samples_catalogue_is_small_fixed_and_has_dr_findacure() -> None:
    a = build_catalogue("BestPractice", "BPSSamples", 1, 10)
    b = build_catalogue("BestPractice", "BPSSamples", 999, 5000)
    assert a is b
    assert a.execute("SELECT COUNT(*) FROM PATIENTS").fetchone()[0] == 25
    assert a.execute("SELECT COUNT(*) FROM BPS_Users WHERE Surname = 'Findacure' AND Title = 'Dr'").fetchone()[0] == 1
    assert a.execute("SELECT COUNT(*) FROM BPS_Appointments WHERE Provider LIKE '%findacure%'").fetchone()[0] > 0
    patients = build_catalogue("BestPractice", "BPSPatients", 42, 200)
    assert digest(a) != digest(patients)


def test_template_is_read_only_and_copies_are_writable(default_db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.OperationalError):
        default_db.execute("DELETE FROM PATIENTS")
    copy = copy_catalogue(default_db)
    copy.execute("DELETE FROM APPOINTMENTS")
    assert copy.execute("SELECT COUNT(*) FROM BPS_Appointments").fetchone()[0] == 0
    assert default_db.execute("SELECT COUNT(*) FROM BPS_Appointments").fetchone()[0] > 0
    target = sqlite3.connect(":memory:")
    default_db.backup(target)
    assert digest(target) == digest(default_db)


def test_clear_cache_rebuilds_identically() -> None:
    before = digest(build_catalogue("BestPractice", "BPSPatients", 77, 30))
    clear_cache()
    assert digest(build_catalogue("BestPractice", "BPSPatients", 77, 30)) == before


@pytest.mark.parametrize("pms_type,catalogue,patients,message", [
    ("Zedmed", "Patients", 10, "only BestPractice"),
    ("D4w", "BPSPatients", 10, "only BestPractice"),
    ("BestPractice", "BPSPatientz", 10, "BPSPatients, BPSSamples, BPSDrugs"),
    ("BestPractice", "BPSPatients", -1, "non-negative"),
])
def test_bad_arguments_raise_value_error(pms_type: str, catalogue: str, patients: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_catalogue(pms_type, catalogue, 1, patients)


def test_default_size_row_counts(default_db: sqlite3.Connection) -> None:
    counts = {name: default_db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
              for (name,) in default_db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    assert counts["PATIENTS"] == 200
    assert 195 <= counts["BPS_Patients"] <= 200
    cancelled = default_db.execute("SELECT COUNT(*) FROM APPOINTMENTS WHERE RECORDSTATUS = 2").fetchone()[0]
    assert counts["APPOINTMENTS"] >= 300 and counts["BPS_Appointments"] == counts["APPOINTMENTS"] - cancelled
    for name in ("VISITS", "IMMUNISATIONS", "CURRENTRX", "INVESTIGATIONS", "PASTHISTORY", "REACTIONS", "SESSIONS",
                 "EMAIL", "CLINICAL", "REPORTVALUES", "OBSERVATIONS", "INVOICES", "SERVICES", "VISITREASON",
                 "SCRIPTITEMS", "REMINDERS"):
        assert counts[name] > 10, name


def test_concurrent_requests_build_one_template() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: build_catalogue("BestPractice", "BPSPatients", 4242, 20), range(8)))
    assert all(r is results[0] for r in results)
    # A template made in another thread can be copied from this one.
    assert copy_catalogue(results[0]).execute("SELECT COUNT(*) FROM PATIENTS").fetchone()[0] == 20


@pytest.mark.parametrize("seed,patients", [("1", 10), (1, 2.5), (True, 10), (1, True)])
def test_generator_rejects_non_integer_arguments(seed: Any, patients: Any) -> None:
    with pytest.raises(ValueError):
        next(iter(generate_practice(seed, patients)))
