"""Hypothesis strategies for Halo's bad days: schedules of faults, valid by construction.

::

    from hypothesis import given, settings
    from mock_halo import strategies as hs

    @settings(max_examples=200, deadline=None)
    @given(schedule=hs.schedules(surfaces=("token", "async", "query")))
    def test_my_client_copes(halo_chaos, schedule):
        run = halo_chaos.run(schedule, my_client_function)
        run.assert_ok()

Each strategy draws values the rule vocabulary accepts, so every schedule
applies cleanly. They are built to shrink toward the smallest schedule that
still breaks a client: fewer faults (a list), simpler kinds first (a plain
5xx before a lifecycle failure before an outage), the first request rather
than a later one (``ordinal`` 1), once rather than repeatedly (``count`` 1),
short waits, big pages, the default token lifetime. So a failing example
reads as one or two concrete faults, e.g. "429 (Retry-After 1 s) on the 1st
status poll or page download once".

Webhook delivery faults (:func:`webhook_faults`, kind ``webhook-fault``) are
opt-in: ``kinds=hs.ALL_KINDS`` for a client that receives webhooks; the
emulator's sender delivers them in live runs (``halo_chaos.run(..., live=True)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hypothesis import strategies as st

from mock_halo.chaos.schedule import (
    ASYNC_FAILURES,
    SQL_FAILURES,
    AsyncOutcome,
    EarlyRetention,
    Fault,
    HttpError,
    Latency,
    PageUploads,
    RowsKept,
    Schedule,
    SiteOutage,
    SlowQuery,
    SqlFailure,
    TextValue,
    TokenExpiry,
    WebhookFault,
)

#: What a device client touches: tokens, submissions, and polls and pages (``query``).
DEVICE_SURFACES = ("token", "immediate", "async", "query")
#: Kinds of fault, simplest first (shrinking moves toward the front).
KINDS = ("http-error", "latency", "sql-failure", "async-outcome", "slow-query", "page-uploads",
         "early-retention", "site-outage", "token-expiry")
_ASYNC_KINDS = {"async-outcome", "slow-query", "page-uploads", "early-retention", "webhook-fault"}
#: Opt-in kinds: webhook faults matter only to a client with a webhook receiver (live runs).
WEBHOOK_KINDS = ("webhook-fault",)
ALL_KINDS = KINDS + WEBHOOK_KINDS

#: Page sizes from big (few pages) to small (many): shrinking prefers big.
PAGE_SIZES = (4096, 2048, 1024, 512, 256)
#: Early retention from generous to harsh.
RETENTIONS_MS = (600_000, 120_000, 30_000, 5_000)
#: Token lifetimes from the default hour down to a minute (shrinking prefers long).
TOKEN_LIFETIMES_S = (3600, 1800, 900, 300, 120, 60)
#: Latencies from a second to beyond a minute (shrinking prefers short).
LATENCIES_MS = (1000, 5000, 30_000, 65_000, 120_000)


def _ladder(values: tuple) -> st.SearchStrategy:
    """One of ``values``, shrinking toward the first: a few telling steps rather than a uniform range,
    so the harsh end (a 1-minute token, a 2-minute answer) comes up often enough to meet its match."""
    return st.integers(0, len(values) - 1).map(values.__getitem__)


def ordinals(high: int = 6) -> st.SearchStrategy[int]:
    """Which matching request a fault hits: the 1st (shrinks here) up to ``high``."""
    return st.integers(1, high)


def counts(high: int = 4) -> st.SearchStrategy[int | None]:
    """How many times a fault fires: once (shrinks here) up to ``high``, or every time from then on (None)."""
    return st.integers(1, high + 1).map(lambda n: None if n > high else n)


def durations_ms(high: int, low: int = 0) -> st.SearchStrategy[int]:
    """A duration in whole seconds' worth of milliseconds, shrinking toward ``low``."""
    return st.integers(low // 1000, high // 1000).map(lambda s: s * 1000)


@st.composite
def http_errors(draw, surfaces: Iterable[str] = DEVICE_SURFACES) -> HttpError:
    """503, 500, 504 or 429 with a Retry-After of 1-60 s."""
    status = draw(st.sampled_from((503, 500, 504, 429)))
    retry_after = draw(st.integers(1, 60)) if status == 429 else None
    return HttpError(surface=draw(st.sampled_from(tuple(surfaces))), ordinal=draw(ordinals()), count=draw(counts()),
                     status=status, retry_after=retry_after)


def latencies(surfaces: Iterable[str] = DEVICE_SURFACES) -> st.SearchStrategy[Latency]:
    """Slow answers of 1 s to 2 min (emulator time)."""
    return st.builds(Latency, surface=st.sampled_from(tuple(surfaces)), ordinal=ordinals(), count=counts(),
                     ms=_ladder(LATENCIES_MS))


def sql_failures(surfaces: Iterable[str] = ("immediate", "async")) -> st.SearchStrategy[SqlFailure]:
    """The practice database refuses: login failed, permission denied."""
    return st.builds(SqlFailure, surface=st.sampled_from(tuple(surfaces)), ordinal=ordinals(), count=counts(),
                     number=st.sampled_from(tuple(SQL_FAILURES)))


def async_outcomes() -> st.SearchStrategy[AsyncOutcome]:
    """An async query ending in each failure status, sometimes after long phases."""
    return st.builds(AsyncOutcome, ordinal=ordinals(), count=counts(), status=st.sampled_from(ASYNC_FAILURES),
                     queued_ms=st.none() | durations_ms(600_000), executing_ms=st.none() | durations_ms(600_000))


def slow_queries() -> st.SearchStrategy[SlowQuery]:
    """Async queries that succeed after long initialising, queued or executing phases (up to 30 min)."""
    phase = st.none() | durations_ms(1_800_000, low=1000)
    return st.builds(SlowQuery, ordinal=ordinals(), count=counts(), initialising_ms=phase, queued_ms=phase,
                     executing_ms=phase).filter(lambda f: any((f.initialising_ms, f.queued_ms, f.executing_ms)))


@st.composite
def page_uploads(draw) -> PageUploads:
    """Results in small pages that upload slowly, then maybe fail (uploadFailed) or stall."""
    size = draw(_ladder(PAGE_SIZES))
    upload = draw(st.none() | durations_ms(120_000, low=1000))
    ending = draw(st.sampled_from(("finish", "fail", "stall")))
    after = draw(st.integers(0, 4)) if ending != "finish" else None
    return PageUploads(ordinal=draw(ordinals()), count=draw(counts()), page_size_bytes=size, page_upload_ms=upload,
                       fail_after_pages=after if ending == "fail" else None,
                       stall_after_pages=after if ending == "stall" else None)


def early_retentions() -> st.SearchStrategy[EarlyRetention]:
    """Results that expire minutes or seconds after the query completes."""
    return st.builds(EarlyRetention, ordinal=ordinals(), count=counts(),
                     retention_ms=_ladder(RETENTIONS_MS))


def site_outages(max_start_s: int = 600, max_duration_s: int = 3600) -> st.SearchStrategy[SiteOutage]:
    """The site offline or unreachable for a while (from the start, shrinking toward short)."""
    return st.builds(SiteOutage, state=st.sampled_from(("offline", "unreachable")),
                     start_s=st.integers(0, max_start_s), duration_s=st.integers(1, max_duration_s))


def token_expiries() -> st.SearchStrategy[TokenExpiry]:
    """Device tokens that expire after 1 h down to 1 min (shrinking toward the hour: the mildest)."""
    return _ladder(TOKEN_LIFETIMES_S).map(lambda s: TokenExpiry(lifetime_s=s))


#: Webhook fault items from mildest to harshest, with their arguments.
WEBHOOK_ITEMS = ("delay:5s", "duplicate", "delay:10m", "duplicate:3", "outOfOrder", "staleTimestamp", "badSignature", "drop")


@st.composite
def webhook_faults(draw) -> WebhookFault:
    """An async query's notification faulted: one item, or two that combine (``drop`` stands alone)."""
    first = draw(_ladder(WEBHOOK_ITEMS))
    items = [first]
    if first != "drop" and draw(st.booleans()):
        second = draw(_ladder(WEBHOOK_ITEMS).filter(lambda i: i != "drop" and i.split(":")[0] != first.split(":")[0]))
        items.append(second)
    return WebhookFault(ordinal=draw(ordinals()), count=draw(counts()), faults=",".join(items))


# -- the data the client will see -------------------------------------------------------------
#: Text that breaks clients: empty, blank, quotes, accents, other scripts, emoji, line breaks, injection-looking.
AWKWARD_TEXT = ("", " ", "O'Brien", "Zoë", "Nguyễn", "李小龍", "Ngā", "🙂", "Smith-Jones", "a\nb", "  padded  ",
                "NULL", "Robert'); DROP TABLE PATIENTS;--", '"quoted"', "back\\slash")
_TEXT_TYPE = re.compile(r"^(N?)(VAR)?CHAR\((\d+)\)$", re.IGNORECASE)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # how SQL Server counts NVARCHAR length


def _fits(text: str, max_length: int, unicode: bool) -> bool:
    if not unicode:  # CHAR/VARCHAR hold the collation's code page (Latin1_General: Windows-1252), a byte a character
        try:
            return len(text.encode("cp1252")) <= max_length
        except UnicodeEncodeError:
            return False
    return _utf16_units(text) <= max_length


def awkward_text(max_length: int, *, unicode: bool = True) -> st.SearchStrategy[str]:
    """Values for an NVARCHAR(``max_length``) column (``unicode=False``: CHAR/VARCHAR, Windows-1252 text only):
    the known troublemakers first, then the column's full length, then any text that fits."""
    known = [t for t in AWKWARD_TEXT if _fits(t, max_length, unicode)]
    anything = st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=max_length)
    return st.one_of(st.sampled_from(known), st.just("W" * max_length),
                     anything.filter(lambda t: _fits(t, max_length, unicode)))


def _text_column(table: str, column: str, declared: int | str | None) -> tuple[int, bool]:
    """(length, unicode) of a text column: from ``declared`` (a length, or a T-SQL type such as ``NVARCHAR(40)``)
    or else from the practice schema the emulator loads."""
    if isinstance(declared, int):
        return declared, True
    if declared is None:
        from mock_halo.practice.schema import column_types

        types = {name.upper(): kind for name, kind in column_types().get(table.upper(), ())}
        if column.upper() not in types:
            raise ValueError(f"the practice schema has no column {table}.{column}")
        declared = types[column.upper()]
    match = _TEXT_TYPE.match(declared.strip())
    if not match:
        raise ValueError(f"{table}.{column} is {declared}, not a text column of fixed length")
    return int(match.group(3)), bool(match.group(1))


def column_edits(table: str, key: str, columns: Iterable[str] | dict[str, int | str],
                 keys: Iterable[int] = (1, 2, 3)) -> st.SearchStrategy[TextValue]:
    """One row's text column set to an awkward value that fits it. ``columns``: column names (their types read
    from the practice schema) or a mapping of names to a length or a T-SQL type (``"NVARCHAR(40)"``)."""
    declared = columns if isinstance(columns, dict) else dict.fromkeys(columns)
    shapes = {column: _text_column(table, column, kind) for column, kind in declared.items()}
    keys = tuple(keys)

    @st.composite
    def edit(draw) -> TextValue:
        column = draw(st.sampled_from(sorted(shapes)))
        length, unicode = shapes[column]
        return TextValue(table=table, key=key, row=draw(st.sampled_from(keys)), column=column,
                         value=draw(awkward_text(length, unicode=unicode)))

    return edit()


def row_counts(table: str, key: str, high: int = 3, *, hide: str = "",
               dependents: Iterable[str] = ()) -> st.SearchStrategy[RowsKept]:
    """Only the rows of ``table`` with ``key`` up to ``n`` (0 to ``high``, shrinking toward none): an empty
    result, one row, a few. ``hide`` retires the others the way the practice's software does (a SET clause);
    without it they are deleted, ``dependents`` (tables referring to them by the same key) first."""
    dependents = tuple(dependents)
    return st.integers(0, high).map(lambda n: RowsKept(table=table, key=key, keep=n, hide=hide, dependents=dependents))


# Every Bp Premier name the data strategies use is here (the columns' types and lengths come from the schema).
#: Bp Premier's patients table and its key.
BP_PATIENTS, BP_PATIENT_KEY = "PATIENTS", "INTERNALID"
#: How Bp Premier deletes a patient: the record is marked, and its BPS_* views show only RECORDSTATUS 1.
BP_DELETED_PATIENT = "RECORDSTATUS = 2"
#: The patient's names, as a client reads them (BPS_Patients.Firstname, Surname, Preferredname).
BP_PATIENT_NAMES = ("FIRSTNAME", "SURNAME", "PREFERREDNAME")


def bp_patients(keys: Iterable[int] = (1, 2)) -> st.SearchStrategy[Fault]:
    """Bp Premier patients as a practice has them: few or none (the others deleted in Bp), or names (of
    patients ``keys``) with quotes, accents, other scripts, emoji, blanks, line breaks, full length."""
    return row_counts(BP_PATIENTS, BP_PATIENT_KEY, hide=BP_DELETED_PATIENT) | column_edits(
        BP_PATIENTS, BP_PATIENT_KEY, BP_PATIENT_NAMES, keys)


def faults(surfaces: Iterable[str] = DEVICE_SURFACES, kinds: Iterable[str] = KINDS) -> st.SearchStrategy[Fault]:
    """One fault of the given kinds, on the given surfaces (simplest kinds first)."""
    surfaces = tuple(surfaces)
    kinds = tuple(kinds)
    unknown = sorted(set(kinds) - set(ALL_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; known: {list(ALL_KINDS)}")
    sql_surfaces = tuple(s for s in surfaces if s in ("immediate", "async"))
    makers = {
        "http-error": lambda: http_errors(surfaces),
        "latency": lambda: latencies(surfaces),
        "sql-failure": (lambda: sql_failures(sql_surfaces)) if sql_surfaces else None,
        "async-outcome": async_outcomes,
        "slow-query": slow_queries,
        "page-uploads": page_uploads,
        "early-retention": early_retentions,
        "site-outage": site_outages,
        "token-expiry": token_expiries,
        "webhook-fault": webhook_faults,
    }
    chosen = [makers[k]() for k in ALL_KINDS if k in kinds and makers[k] is not None
              and (k not in _ASYNC_KINDS or "async" in surfaces)]
    if not chosen:
        raise ValueError(f"no fault kind of {list(kinds)} applies to the surfaces {list(surfaces)}")
    return st.one_of(chosen)


def schedules(surfaces: Iterable[str] = DEVICE_SURFACES, kinds: Iterable[str] = KINDS, *, max_faults: int = 4,
              min_faults: int = 0, data: st.SearchStrategy[Fault] | None = None) -> st.SearchStrategy[Schedule]:
    """Schedules of up to ``max_faults`` faults on the surfaces the client uses.

    ``surfaces``: ``token``, ``immediate``, ``async``, ``query`` (polls and
    pages), ``registered``, ``fhir``. Async-only kinds (lifecycle outcomes,
    slow queries, page uploads, early retention) appear only with ``async``.
    ``data`` (e.g. :func:`bp_patients`) adds edits of the practice's data to
    the mix: the SQL results the client will see.
    """
    one = faults(surfaces, kinds) if data is None else faults(surfaces, kinds) | data
    return st.lists(one, min_size=min_faults, max_size=max_faults).map(lambda fs: Schedule(tuple(fs)))
