"""Child process of the ``sql-cached-select`` scenario: the SQL engine's overhead over raw sqlite3.

Run as ``python -m bench.sql_worker --samples N``; prints one JSON object on its
last stdout line: ``{"skip": reason}``, ``{"error": traceback}`` or the samples.

Both sides run the same query against the same practice data in this process:

* **engine**: ``SqliteEngine.execute()`` of the ``immediate-select`` command
  (``SELECT TOP 1 Firstname, Surname FROM BPS_Patients WHERE InternalID = @id``
  with an ``Int`` parameter), served from the translation cache: parameter
  binding, the statement, result encoding to Halo's JSON bytes, the outcome;
* **raw**: ``sqlite3`` ``execute(...).fetchall()`` of the SQL the engine
  translated it to, on a connection deserialized from the same image with the
  same ``mh_*`` functions registered.

Each sample is the mean of ``CALLS`` calls; engine and raw samples alternate.
Afterwards a mixed batch of integrator statements (each sent several times, as
an integrator's poller would) runs on the engine, and the translation cache
counters are reported.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
import traceback
from collections.abc import Sequence
from typing import Any

CALLS = 200
SEED, PATIENTS = 1, 50
IMMEDIATE_SQL = "SELECT TOP 1 Firstname, Surname FROM BPS_Patients WHERE InternalID = @id"
#: A poller's mix: each statement is sent ``MIX_REPEATS`` times with varying parameters.
MIX = (
    "SELECT InternalID, Firstname, Surname, DOB FROM BPS_Patients WHERE Surname LIKE @s + '%' ORDER BY Surname",
    "SELECT COUNT(*) AS n FROM BPS_Appointments WHERE InternalID = @id",
    "SELECT TOP 5 * FROM BPS_Patients WHERE InternalID >= @id ORDER BY InternalID",
    "DECLARE @n INT; SELECT @n = COUNT(*) FROM BPS_Patients WHERE InternalID < @id; SELECT @n AS n",
    "SELECT UPPER(Surname) + ', ' + Firstname AS name FROM BPS_Patients WHERE InternalID = @id",
)
MIX_REPEATS = 20


def _mean_call(call: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


def measure(samples: int) -> dict[str, Any]:
    try:
        from mock_halo.practice import build_catalogue
        from mock_halo.sql.engines.sqlite import functions
        from mock_halo.sql.engines.sqlite.engine import SqliteEngine
        from mock_halo.sql.model import SqlCommand, SqlParameter
    except ImportError as exc:
        return {"skip": f"cannot import the SQL engine: {exc}"}
    image = build_catalogue("BestPractice", "BPSPatients", SEED, PATIENTS).serialize()
    engine = SqliteEngine({"BPSPatients": image}, "BPSPatients")
    raw = sqlite3.connect(":memory:", isolation_level=None, cached_statements=512)
    raw.deserialize(image)
    functions.register(raw, random.Random(0))
    try:
        patient = engine.execute(SqlCommand(text="SELECT TOP 1 InternalID FROM BPS_Patients ORDER BY InternalID"))
        patient_id = json.loads(patient.data)[0]["InternalID"]
        command = SqlCommand(text=IMMEDIATE_SQL, parameters=[
            SqlParameter(name="@id", type="Int", value=str(patient_id))])
        first = engine.execute(command)  # translates (a miss); every timed call is a hit
        [statement] = engine.translator.translate(IMMEDIATE_SQL).statements
        expected = raw.execute(statement.sql, (patient_id,)).fetchall()
        if first.rows != 1 or len(expected) != 1:
            return {"error": f"the query returned {first.rows} row(s) on the engine, {len(expected)} raw"}
        engine_s: list[float] = []
        raw_s: list[float] = []
        for index in range(samples):
            pair = [("engine", lambda: engine.execute(command)),
                    ("raw", lambda: raw.execute(statement.sql, (patient_id,)).fetchall())]
            if index % 2:
                pair.reverse()
            for side, call in pair:
                (engine_s if side == "engine" else raw_s).append(_mean_call(call, CALLS))
        select_cache = engine.cache_info()
        for round_ in range(MIX_REPEATS):
            for text in MIX:
                engine.execute(SqlCommand(text=text, parameters=[
                    SqlParameter(name="@id", type="Int", value=str(patient_id + round_ % 7)),
                    SqlParameter(name="@s", value="ABCDEFGHIJKLMNOPQRSTUVWXYZ"[round_ % 26])]
                    if "@s" in text else [SqlParameter(name="@id", type="Int", value=str(patient_id + round_ % 7))]))
        return {"engine_s": engine_s, "raw_s": raw_s, "calls_per_sample": CALLS, "sql": statement.sql,
                "select_cache": select_cache, "cache": engine.cache_info(),
                "mix": {"statements": len(MIX), "repeats": MIX_REPEATS}}
    finally:
        engine.close()
        raw.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_worker")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        result = measure(max(1, args.samples))
    except Exception:
        result = {"error": traceback.format_exc()}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
