"""BP_GetAllUsers and BP_GetAppointmentBookUsers."""

from __future__ import annotations

from mock_halo.sql.bp.common import result
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure
from mock_halo.sql.semantics import kinds as K

_COLUMNS = [("UserID", K.INT), ("Title", K.STR), ("Firstname", K.STR), ("Surname", K.STR),
            ("ProviderNo", K.STR), ("LocationID", K.INT)]
_SELECT = ("SELECT U.USERID, COALESCE(T.TITLE, ''), U.FIRSTNAME, U.SURNAME, U.PROVIDERNO, U.LOCATIONID "
           "FROM USERS U LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE WHERE U.RECORDSTATUS = 1")


@procedure("BP_GetAllUsers")
def get_all_users(call: ProcedureCall) -> ProcedureResult:
    """Every current user (practitioners and staff), by surname."""
    rows = call.query(_SELECT + " ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID", ())
    return ProcedureResult(result_sets=[result(_COLUMNS, rows)])


@procedure("BP_GetAppointmentBookUsers")
def get_appointment_book_users(call: ProcedureCall) -> ProcedureResult:
    """Users who have an appointment book (USERS.APPOINTMENTBOOK = 1)."""
    rows = call.query(_SELECT + " AND U.APPOINTMENTBOOK = 1 ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID", ())
    return ProcedureResult(result_sets=[result(_COLUMNS, rows)])
