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


class ResultTooLarge(Exception):
    """A result set grew past the command's ``result_limit`` while it was being read (Halo Link's
    upload limit, not a database error: no TRY/CATCH sees it, and the command is rolled back)."""

    #: how the lifecycle recognises it without importing this package
    result_too_large = True

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the result grew past {limit} bytes of JSON ({size} bytes read so far)")
        self.size = size
        self.limit = limit


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


# -- names, batches and statements ------------------------------------------------------------------
def database_not_found(name: str) -> SqlError:
    return SqlError(911, f"Database '{name}' does not exist. Make sure that the name is entered correctly.")


def unclosed_quotation(rest: str) -> SqlError:
    return SqlError(105, f"Unclosed quotation mark after the character string '{rest}'.")


def invalid_parameter(function: str) -> SqlError:
    return SqlError(1023, f"Invalid parameter 1 specified for {function}.")


def value_too_large(limit: int) -> SqlError:
    """A string past the longest the emulator builds (``limit``; SQL Server's own bound is 2,147,483,647 bytes)."""
    return SqlError(7119, f"Attempting to grow LOB beyond maximum allowed size of {limit} bytes.")


def nested_too_deeply() -> SqlError:
    return SqlError(191, "Some part of your SQL statement is nested too deeply. Rewrite the query or break it up "
                         "into smaller queries.")


def case_nested_too_deeply() -> SqlError:
    return SqlError(125, "Case expressions may only be nested to level 10.")


def stack_limit() -> SqlError:
    return SqlError(8631, "Internal error: Server stack limit has been reached. Please look for potentially deep "
                          "nesting in your query, and try to simplify it.")


def out_of_query_resources() -> SqlError:
    return SqlError(8623, "The query processor ran out of internal resources and could not produce a query plan. "
                          "This is a rare event and only expected for extremely complex queries or queries that "
                          "reference a very large number of tables or partitions. Please simplify the query. If you "
                          "believe you have received this message in error, contact Customer Support Services for "
                          "more information.")


def with_ties_without_order_by() -> SqlError:
    return SqlError(1062, "The TOP N WITH TIES clause is not allowed without a corresponding ORDER BY clause.")


def outside_while(word: str) -> SqlError:
    return SqlError(135, f"Cannot use a {word} statement outside the scope of a WHILE statement.")


def assignment_with_retrieval() -> SqlError:
    return SqlError(141, "A SELECT statement that assigns a value to a variable must not be combined with "
                         "data-retrieval operations.")


def no_table_to_select_from() -> SqlError:
    return SqlError(263, "Must specify table to select from.")


def having_not_aggregated() -> SqlError:
    return SqlError(8121, "A column in the HAVING clause is invalid because it is not contained in either an "
                          "aggregate function or the GROUP BY clause.")


def system_catalog_update() -> SqlError:
    return SqlError(259, "Ad hoc updates to system catalogs are not allowed.")


def sp_help_not_found(name: str, database: str) -> SqlError:
    return SqlError(15009, f"The object '{name}' does not exist in database '{database}' or is invalid for this "
                           "operation.")


def sp_columns_qualifier() -> SqlError:
    return SqlError(15250, "The database name component of the object qualifier must be the name of the current "
                           "database.")


def values_row_lengths() -> SqlError:
    return SqlError(10709, "The number of columns for each row in a table value constructor must be the same.")


def no_column_name(index: int, table: str) -> SqlError:
    return SqlError(8155, f"No column name was specified for column {index} of '{table}'.")


def more_columns_than_names(table: str) -> SqlError:
    return SqlError(8158, f"'{table}' has more columns than were specified in the column list.")


def fewer_columns_than_names(table: str) -> SqlError:
    return SqlError(8159, f"'{table}' has fewer columns than were specified in the column list.")


def view_not_updatable(name: str) -> SqlError:
    return SqlError(4405, f"View or function '{name}' is not updatable because the modification affects multiple "
                          "base tables.")


def insert_count(more_values: bool) -> SqlError:
    if more_values:
        return SqlError(110, "There are fewer columns in the INSERT statement than values specified in the VALUES "
                             "clause. The number of values in the VALUES clause must match the number of columns "
                             "specified in the INSERT statement.")
    return SqlError(109, "There are more columns in the INSERT statement than values specified in the VALUES "
                         "clause. The number of values in the VALUES clause must match the number of columns "
                         "specified in the INSERT statement.")


def column_count_mismatch() -> SqlError:
    return SqlError(213, "Column name or number of supplied values does not match table definition.")


def permission_denied_on(obj: str, database: str, schema: str) -> SqlError:
    return SqlError(229, f"The SELECT permission was denied on the object '{obj}', database '{database}', schema "
                         f"'{schema}'.")


# -- temporary tables and table variables -----------------------------------------------------------
def must_declare_table_variable(name: str) -> SqlError:
    return SqlError(1087, f'Must declare the table variable "{name}".')


def empty_column_name() -> SqlError:
    return SqlError(1038, "An object or column name is missing or empty. For SELECT INTO statements, verify each "
                          "column has a name. For other statements, look for empty alias names. Aliases defined as "
                          "\"\" or [] are not allowed. Change the alias to a valid name.")


def duplicate_column(column: str, table: str) -> SqlError:
    return SqlError(2705, f"Column names in each table must be unique. Column name '{column}' in table '{table}' is "
                          "specified more than once.")


def identity_column_type(column: str) -> SqlError:
    return SqlError(2749, f"Identity column '{column}' must be of data type int, bigint, smallint, tinyint, or "
                          "decimal or numeric with a scale of 0, and constrained to be nonnullable.")


def multiple_identity_columns() -> SqlError:
    return SqlError(2744, "Multiple identity columns specified for table. Only one identity column per table is "
                          "allowed.")


# -- stored procedures --------------------------------------------------------------------------------
def too_many_arguments(procedure: str) -> SqlError:
    return SqlError(8144, f"Procedure or function {procedure} has too many arguments specified.")


def not_a_parameter(name: str, procedure: str) -> SqlError:
    return SqlError(8145, f"@{name} is not a parameter for procedure {procedure}.")


def parameter_not_supplied(procedure: str, name: str) -> SqlError:
    return SqlError(201, f"Procedure or function '{procedure}' expects parameter '@{name}', which was not "
                         "supplied.")


def output_of_a_constant() -> SqlError:
    return SqlError(179, "Cannot use the OUTPUT option when passing a constant to a stored procedure.")


# -- THROW and RAISERROR ------------------------------------------------------------------------------
def rethrow_outside_catch() -> SqlError:
    return SqlError(10704, "To rethrow an error, a THROW statement must be used inside a CATCH block.")


def throw_number_out_of_range() -> SqlError:
    return SqlError(35100, "Error number in THROW statement is outside the valid range. Specify an error number "
                           "in the valid range of 50000 to 2147483647.")


def raiserror_number_not_found(number: object, severity: object, state: object) -> SqlError:
    return SqlError(18054, f"Error {number}, severity {severity}, state {state} was raised, but no message with "
                           "that error number was found in sys.messages.")


def raised(message: str) -> SqlError:
    """RAISERROR with a message text: SQL Server's user error number 50000."""
    return SqlError(50000, message)


# -- values --------------------------------------------------------------------------------------------
def char_to_money() -> SqlError:
    return SqlError(235, "Cannot convert a char value to money. The char value has incorrect syntax.")


def invalid_datetime_style(style: object) -> SqlError:
    return SqlError(281, f"{style} is not a valid style number when converting from datetime to a character "
                         "string.")


def invalid_floating_point() -> SqlError:
    return SqlError(3623, "An invalid floating point operation occurred.")


def invalid_date_parts() -> SqlError:
    return SqlError(289, "Cannot construct data type date, some of the arguments have values which are not valid.")


# -- connections (the ODBC engines; SqlClient's wording) ------------------------------------------------
def pool_timeout() -> SqlError:
    return SqlError(-2, "Timeout expired.  The timeout period elapsed prior to obtaining a connection from the "
                        "pool.  This may have occurred because all pooled connections were in use and max pool size "
                        "was reached.")


def login_timeout(detail: str) -> SqlError:
    return SqlError(-2, "Connection Timeout Expired.  The timeout period elapsed while attempting to connect to "
                        f"the database server. ({detail})")
