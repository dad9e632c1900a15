"""Small value types shared by the generator modules.

The generator streams rows as :class:`Batch` objects (one table, many rows in the
batch's column order; the table's other NOT NULL columns are filled with 0 or ''
by the loader) so that a 100k-patient practice never has to sit in memory as Python
tuples all at once. What later stages need to know about earlier ones (who the
staff are, which patients exist and when they were alive and active) is kept in
the compact records below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

#: ``progress(stage, done, total)``: called as the generator advances; ``total``
#: is the number of patients for the patient stage and 1 for the others.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows for one table, each a tuple in the order of ``columns``."""

    table: str
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class Practice:
    """The practice itself (the PRACTICE row and where it is)."""

    name: str
    state: str
    postcode: str
    city: str
    domain: str
    location_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One USERS row, as far as scheduling and clinical records need it."""

    user_id: int
    group: int
    title_code: int
    first_name: str
    surname: str
    location_id: int
    #: Has an appointment book column (USERS.APPOINTMENTS): sessions and appointments.
    books: bool
    room_id: int = 0
    #: "Dr Jane Smith", as BPS views and VISITS.DRNAME show a provider.
    display: str = ""


@dataclass(slots=True)
class PatientSummary:
    """What scheduling and the clinical record need to know about a patient."""

    internal_id: int
    dob: date
    sex: int
    status: int
    usual_doctor: int
    created: datetime
    #: Last day the patient could be seen (death or leaving); None while active.
    until: date | None = None
    #: RECORDSTATUS 2: the record is deleted and has no clinical data or appointments.
    deleted: bool = False


@dataclass(slots=True)
class Staff:
    """All users, with convenient groupings."""

    members: list[StaffMember] = field(default_factory=list)
    #: The user online booking services write appointments as.
    online_user: int = 0

    @property
    def clinicians(self) -> list[StaffMember]:
        return [m for m in self.members if m.books]

    def by_group(self, *groups: int) -> list[StaffMember]:
        return [m for m in self.members if m.group in groups]


def sql_date(d: date) -> str:
    """A DATE value as stored: ``YYYY-MM-DD``."""
    return d.isoformat()


def sql_datetime(dt: datetime) -> str:
    """A DATETIME value as stored: ``YYYY-MM-DDTHH:MM:SS`` (whole seconds)."""
    return dt.isoformat("T", "seconds")


def sql_midnight(d: date) -> str:
    """A DATETIME holding a date only (DOB, APPOINTMENTDATE, ...): ``YYYY-MM-DDT00:00:00``."""
    return d.isoformat() + "T00:00:00"
