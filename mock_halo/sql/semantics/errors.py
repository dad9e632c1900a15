"""SQL Server errors, with SQL Server's numbers and wording.

Everything the engine raises towards the HTTP layer is one of two exceptions:

* :class:`SqlError` - what SQL Server would report (``errorType`` ``mssql``);
* :class:`ParameterError` - a request parameter whose string value cannot be
  converted to its declared SqlDbType (.NET's wording, answered as a 400).

The factories below keep every message in one place.
"""

from __future__ import annotations

import threading

#: Error number used for constructs mock-halo does not emulate yet. SQL Server
#: has no such error; 40000 keeps it out of the range of real numbers used here.
UNSUPPORTED = 40000
#: Error number for failures of the emulator itself (SQL Server's user range).
INTERNAL = 50000


class SqlError(Exception):
    """A SQL Server error: ``number`` and ``message`` as SQL Server reports them."""

    error_type = "mssql"

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"Msg {number}: {message}")
        self.number = number
        self.message = message

    def __repr__(self) -> str:
        return f"SqlError({self.number}, {self.message!r})"


class ParameterError(Exception):
    """A parameter value that cannot be converted to its declared type."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- object and syntax errors --------------------------------------------------

def invalid_object(name: str) -> SqlError:
    return SqlError(208, f"Invalid object name '{name}'.")


def invalid_column(name: str) -> SqlError:
    return SqlError(207, f"Invalid column name '{name}'.")


def ambiguous_column(name: str) -> SqlError:
    return SqlError(209, f"Ambiguous column name '{name}'.")


def unbound_identifier(name: str) -> SqlError:
    return SqlError(4104, f'The multi-part identifier "{name}" could not be bound.')


def syntax_near(token: str) -> SqlError:
    return SqlError(102, f"Incorrect syntax near '{token}'.")


def syntax_near_keyword(keyword: str) -> SqlError:
    return SqlError(156, f"Incorrect syntax near the keyword '{keyword}'.")


def unknown_function(name: str) -> SqlError:
    return SqlError(195, f"'{name}' is not a recognized built-in function name.")


def procedure_not_found(name: str) -> SqlError:
    return SqlError(2812, f"Could not find stored procedure '{name}'.")


def must_declare(name: str) -> SqlError:
    return SqlError(137, f'Must declare the scalar variable "{name}".')


def duplicate_variable(name: str) -> SqlError:
    return SqlError(
        134,
        f"The variable name '{name}' has already been declared. "
        "Variable names must be unique within a query batch or stored procedure.",
    )


def object_exists(name: str) -> SqlError:
    return SqlError(2714, f"There is already an object named '{name}' in the database.")


def cannot_drop_table(name: str) -> SqlError:
    return SqlError(3701, f"Cannot drop the table '{name}', because it does not exist or you do not have "
                          "permission.")


def unsupported(construct: str, detail: str = "") -> SqlError:
    extra = f" ({detail})" if detail else ""
    return SqlError(UNSUPPORTED, f"mock-halo does not support {construct} yet{extra}.")


def server_not_found(name: str) -> SqlError:
    return SqlError(7202, f"Could not find server '{name}' in sys.servers. Verify that the correct server name "
                          "was specified. If necessary, execute the stored procedure sp_addlinkedserver to add "
                          "the server to sys.servers.")


def internal(message: str) -> SqlError:
    return SqlError(INTERNAL, f"mock-halo could not run this command: {message}")


def timeout() -> SqlError:
    return SqlError(-2, "Execution Timeout Expired.  The timeout period elapsed prior to completion of the "
                        "operation or the server is not responding.")


# -- conversion and arithmetic -------------------------------------------------

def conversion_failed(value: object, source: str, target: str) -> SqlError:
    return SqlError(245, f"Conversion failed when converting the {source} value '{value}' to data type {target}.")


def string_overflow(value: object, source: str, target: str) -> SqlError:
    """A string of digits too big for an int/smallint/tinyint (explicit or implicit conversion)."""
    article = "an" if target == "int" else "a"
    return SqlError(248, f"The conversion of the {source} value '{value}' overflowed {article} {target} column.")


def string_truncated(table: str, column: str) -> SqlError:
    return SqlError(2628, f"String or binary data would be truncated in table '{table}', column '{column}'.")


def converting_data_type(source: str, target: str) -> SqlError:
    return SqlError(8114, f"Error converting data type {source} to {target}.")


def arithmetic_overflow(target: str, source: str = "expression") -> SqlError:
    return SqlError(8115, f"Arithmetic overflow error converting {source} to data type {target}.")


def divide_by_zero() -> SqlError:
    return SqlError(8134, "Divide by zero error encountered.")


def datetime_from_string() -> SqlError:
    return SqlError(241, "Conversion failed when converting date and/or time from character string.")


def datetime_out_of_range(source: str = "varchar", target: str = "datetime") -> SqlError:
    return SqlError(242, f"The conversion of a {source} data type to a {target} data type resulted in an "
                         "out-of-range value.")


def guid_from_string() -> SqlError:
    return SqlError(8169, "Conversion failed when converting from a character string to uniqueidentifier.")


def explicit_conversion(source: str, target: str) -> SqlError:
    return SqlError(529, f"Explicit conversion from data type {source} to {target} is not allowed.")


def operand_clash(left: str, right: str) -> SqlError:
    return SqlError(206, f"Operand type clash: {left} is incompatible with {right}")


def dateadd_overflow(target: str = "datetime") -> SqlError:
    return SqlError(517, f"Adding a value to a '{target}' column caused an overflow.")


def datediff_overflow() -> SqlError:
    return SqlError(535, "The datediff function resulted in an overflow. The number of dateparts separating two "
                         "date/time instances is too large. Try to use datediff with a less precise datepart.")


def datepart_not_supported(part: str, function: str, type_name: str) -> SqlError:
    return SqlError(9810, f"The datepart {part} is not supported by date function {function} for data type "
                          f"{type_name}.")


def unrecognized_datepart(part: str, function: str) -> SqlError:
    return SqlError(155, f"'{part}' is not a recognized {function} option.")


def invalid_length(function: str) -> SqlError:
    return SqlError(536, f"Invalid length parameter passed to the {function} function.")


def wrong_argument_count(function: str, count: int) -> SqlError:
    return SqlError(174, f"The {function} function requires {count} argument(s).")


def invalid_argument_type(type_name: str, index: int, function: str) -> SqlError:
    return SqlError(8116, f"Argument data type {type_name} is invalid for argument {index} of {function} function.")


# -- constraints ------------------------------------------------------------------

def primary_key_violation(table: str, constraint: str) -> SqlError:
    return SqlError(2627, f"Violation of PRIMARY KEY constraint '{constraint}'. Cannot insert duplicate key in "
                          f"object '{table}'.")


def unique_violation(table: str, constraint: str) -> SqlError:
    return SqlError(2627, f"Violation of UNIQUE KEY constraint '{constraint}'. Cannot insert duplicate key in "
                          f"object '{table}'.")


def null_violation(column: str, table: str, verb: str) -> SqlError:
    return SqlError(515, f"Cannot insert the value NULL into column '{column}', table '{table}'; column does not "
                         f"allow nulls. {verb.upper()} fails.")


def foreign_key_violation(verb: str) -> SqlError:
    return SqlError(547, f"The {verb.upper()} statement conflicted with a FOREIGN KEY constraint.")


def check_violation(verb: str) -> SqlError:
    return SqlError(547, f"The {verb.upper()} statement conflicted with a CHECK constraint.")


def permission_denied(what: str, database: str) -> SqlError:
    return SqlError(262, f"{what} permission denied in database '{database}'.")


def execute_denied(name: str, database: str) -> SqlError:
    return SqlError(229, f"The EXECUTE permission was denied on the object '{name}', database '{database}', "
                         "schema 'dbo'.")


# -- errors raised inside SQLite callbacks ------------------------------------------

_pending = threading.local()


def stash(error: SqlError) -> SqlError:
    """Remember ``error`` for this thread: SQLite only reports that a function raised.

    The Python functions registered on connections call this before raising, so
    the engine can recover the SQL Server error from the generic sqlite3 one.
    """
    _pending.error = error
    return error


def take_stashed() -> SqlError | None:
    error = getattr(_pending, "error", None)
    _pending.error = None
    return error
