-- mock-halo's support schema on PostgreSQL: T-SQL built-ins PostgreSQL lacks.
--
-- The translator (mock_halo/sql/engines/postgres/translate.py) calls these as mock_halo.<name>(...) with
-- date parts already in canonical form ('year', 'weekday', ...) and datetime arguments
-- already cast to timestamp. Every function is IMMUTABLE (no table access, no settings),
-- so the planner can fold constant calls. Re-running this script replaces them.

CREATE SCHEMA IF NOT EXISTS mock_halo;

-- DATEDIFF: the number of part boundaries crossed from a to b (not elapsed whole units).
CREATE OR REPLACE FUNCTION mock_halo.datediff(part text, a timestamp, b timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE part
    WHEN 'year' THEN extract(year FROM b)::bigint - extract(year FROM a)::bigint
    WHEN 'quarter' THEN (extract(year FROM b)::bigint * 4 + extract(quarter FROM b)::bigint)
                      - (extract(year FROM a)::bigint * 4 + extract(quarter FROM a)::bigint)
    WHEN 'month' THEN (extract(year FROM b)::bigint * 12 + extract(month FROM b)::bigint)
                    - (extract(year FROM a)::bigint * 12 + extract(month FROM a)::bigint)
    WHEN 'day' THEN (b::date - a::date)::bigint
    WHEN 'dayofyear' THEN (b::date - a::date)::bigint
    WHEN 'weekday' THEN (b::date - a::date)::bigint
    -- weeks start on Sunday for DATEDIFF whatever DATEFIRST says
    WHEN 'week' THEN (((b::date - extract(dow FROM b)::int) - (a::date - extract(dow FROM a)::int)) / 7)::bigint
    WHEN 'hour' THEN (extract(epoch FROM date_trunc('hour', b) - date_trunc('hour', a)) / 3600)::bigint
    WHEN 'minute' THEN (extract(epoch FROM date_trunc('minute', b) - date_trunc('minute', a)) / 60)::bigint
    WHEN 'second' THEN extract(epoch FROM date_trunc('second', b) - date_trunc('second', a))::bigint
    WHEN 'millisecond' THEN (extract(epoch FROM date_trunc('milliseconds', b) - date_trunc('milliseconds', a))
                             * 1000)::bigint
    WHEN 'microsecond' THEN (extract(epoch FROM b - a) * 1000000)::bigint
END
$$;

-- DATEPART with SQL Server's defaults (DATEFIRST 7: Sunday is weekday 1; week 1 holds 1 January).
CREATE OR REPLACE FUNCTION mock_halo.datepart(part text, d timestamp) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE part
    WHEN 'year' THEN extract(year FROM d)::int
    WHEN 'quarter' THEN extract(quarter FROM d)::int
    WHEN 'month' THEN extract(month FROM d)::int
    WHEN 'dayofyear' THEN extract(doy FROM d)::int
    WHEN 'day' THEN extract(day FROM d)::int
    WHEN 'weekday' THEN extract(dow FROM d)::int + 1
    WHEN 'week' THEN ((extract(doy FROM d)::int - 1
                       + extract(dow FROM date_trunc('year', d))::int) / 7) + 1
    WHEN 'iso_week' THEN extract(week FROM d)::int
    WHEN 'hour' THEN extract(hour FROM d)::int
    WHEN 'minute' THEN extract(minute FROM d)::int
    WHEN 'second' THEN floor(extract(second FROM d))::int
    WHEN 'millisecond' THEN (floor(extract(milliseconds FROM d))::int % 1000)
    WHEN 'microsecond' THEN (extract(microseconds FROM d)::int % 1000000)
    WHEN 'nanosecond' THEN (extract(microseconds FROM d)::int % 1000000) * 1000
    WHEN 'tzoffset' THEN 0
END
$$;

-- DATENAME: English month and weekday names (us_english), else the DATEPART number as text.
CREATE OR REPLACE FUNCTION mock_halo.datename(part text, d timestamp) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE part
    WHEN 'month' THEN (ARRAY['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
                             'September', 'October', 'November', 'December'])[extract(month FROM d)::int]
    WHEN 'weekday' THEN (ARRAY['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday',
                               'Saturday'])[extract(dow FROM d)::int + 1]
    ELSE mock_halo.datepart(part, d)::text
END
$$;

-- EOMONTH(d, months)
CREATE OR REPLACE FUNCTION mock_halo.eomonth(d date, months integer) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
SELECT (date_trunc('month', d) + make_interval(months => coalesce(months, 0) + 1) - interval '1 day')::date
$$;

-- CHARINDEX(needle, haystack, start): case-insensitive (SQL Server's default collation), 1-based, 0 if absent.
CREATE OR REPLACE FUNCTION mock_halo.charindex(needle text, haystack text, start integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN needle IS NULL OR haystack IS NULL THEN NULL
    WHEN needle = '' THEN 0
    ELSE coalesce(nullif(strpos(lower(substr(haystack, greatest(coalesce(start, 1), 1))), lower(needle)), 0)
                  + greatest(coalesce(start, 1), 1) - 1, 0)
END
$$;

-- REPLACE under a case-insensitive collation: every occurrence, matched without regard to case.
CREATE OR REPLACE FUNCTION mock_halo.replace(s text, find text, repl text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN s IS NULL OR find IS NULL OR repl IS NULL THEN NULL
    WHEN find = '' THEN s
    ELSE regexp_replace(s, regexp_replace(find, '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'),
                        replace(repl, '\', '\\'), 'gi')
END
$$;

-- CONVERT(varchar, <datetime>, style): the styles integrations use. style 0/100 is the default
-- 'mon dd yyyy hh:miAM'. Unknown styles give NULL (the translator refuses them first).
CREATE OR REPLACE FUNCTION mock_halo.convert_datetime(d timestamp, style integer, date_only boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN d IS NULL THEN NULL
    WHEN date_only AND style IN (0, 100, 20, 120, 21, 121, 126, 127) THEN to_char(d,
        CASE WHEN style IN (0, 100) THEN 'Mon ' ELSE 'YYYY-MM-DD' END)
        || CASE WHEN style IN (0, 100) THEN lpad(extract(day FROM d)::int::text, 2, ' ') || to_char(d, ' YYYY')
           ELSE '' END
    WHEN style IN (0, 100) THEN to_char(d, 'Mon ') || lpad(extract(day FROM d)::int::text, 2, ' ')
        || to_char(d, ' YYYY ') || lpad(to_char(d, 'FMHH12:MI'), 5, ' ') || to_char(d, 'AM')
    WHEN style = 1 THEN to_char(d, 'MM/DD/YY')
    WHEN style = 101 THEN to_char(d, 'MM/DD/YYYY')
    WHEN style = 2 THEN to_char(d, 'YY.MM.DD')
    WHEN style = 102 THEN to_char(d, 'YYYY.MM.DD')
    WHEN style = 3 THEN to_char(d, 'DD/MM/YY')
    WHEN style = 103 THEN to_char(d, 'DD/MM/YYYY')
    WHEN style = 4 THEN to_char(d, 'DD.MM.YY')
    WHEN style = 104 THEN to_char(d, 'DD.MM.YYYY')
    WHEN style = 5 THEN to_char(d, 'DD-MM-YY')
    WHEN style = 105 THEN to_char(d, 'DD-MM-YYYY')
    WHEN style = 106 THEN to_char(d, 'DD Mon YYYY')
    WHEN style = 107 THEN to_char(d, 'Mon DD, YYYY')
    WHEN style IN (8, 108, 24) THEN to_char(d, 'HH24:MI:SS')
    WHEN style = 10 THEN to_char(d, 'MM-DD-YY')
    WHEN style = 110 THEN to_char(d, 'MM-DD-YYYY')
    WHEN style = 11 THEN to_char(d, 'YY/MM/DD')
    WHEN style = 111 THEN to_char(d, 'YYYY/MM/DD')
    WHEN style = 12 THEN to_char(d, 'YYMMDD')
    WHEN style = 112 THEN to_char(d, 'YYYYMMDD')
    WHEN style = 23 THEN to_char(d, 'YYYY-MM-DD')
    WHEN style IN (20, 120) THEN to_char(d, 'YYYY-MM-DD HH24:MI:SS')
    WHEN style IN (21, 121, 25) THEN to_char(d, 'YYYY-MM-DD HH24:MI:SS.MS')
    WHEN style IN (126, 127) THEN to_char(d, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(milliseconds FROM d)::numeric % 1000 = 0 THEN '' ELSE to_char(d, '.MS') END
END
$$;

-- A string as bit (SQL Server: 'true'/'false' or a number; anything non-zero is 1).
CREATE OR REPLACE FUNCTION mock_halo.to_bit(s text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN s IS NULL THEN NULL
    WHEN lower(trim(s)) = 'true' THEN 1
    WHEN lower(trim(s)) = 'false' THEN 0
    WHEN trim(s)::numeric <> 0 THEN 1
    ELSE 0
END::smallint
$$;

-- The emulated BP_* procedures (mock_halo/sql/bp/) write SQLite-flavoured SQL against the
-- storage forms; substr() of a datetime there means a substring of 'YYYY-MM-DDTHH:MI:SS'.
CREATE OR REPLACE FUNCTION mock_halo.substr(d timestamp, start integer, len integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT substr(to_char(d, 'YYYY-MM-DD"T"HH24:MI:SS'), start, len)
$$;

-- STUFF(s, start, length, replacement): NULL when start is outside the string (SQL Server).
CREATE OR REPLACE FUNCTION mock_halo.stuff(s text, start integer, len integer, repl text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN s IS NULL OR start IS NULL OR len IS NULL OR start < 1 OR start > length(s) OR len < 0 THEN NULL
    ELSE overlay(s PLACING coalesce(repl, '') FROM start FOR len)
END
$$;

-- TRY_CAST / TRY_CONVERT of a string: NULL instead of a conversion error.
CREATE OR REPLACE FUNCTION mock_halo.try_numeric(s text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN trim(s)::numeric;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION mock_halo.try_timestamp(s text) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN trim(s)::timestamp;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- "+" of two values whose types are known only at run time (request parameters): numbers add,
-- strings concatenate (PostgreSQL picks the overload from the argument types).
CREATE OR REPLACE FUNCTION mock_halo.add(a numeric, b numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE OR REPLACE FUNCTION mock_halo.add(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT a || b $$;
-- A float among them makes a float (SQL Server's precedence); two ints stay exact (numeric) rather than
-- becoming PostgreSQL's preferred double precision, and text met by an int converts to an int.
CREATE OR REPLACE FUNCTION mock_halo.add(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE OR REPLACE FUNCTION mock_halo.add(a integer, b integer) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT a::numeric + b $$;

-- SQL Server's type of a + b for strings, as the characters it keeps: nvarchar(n) + nvarchar(m) is
-- nvarchar(min(n + m, 4000)), varchar's bound is 8,000, nvarchar wins; a max operand (0), or one not
-- known to be a string (-1), cuts nothing (0). cut_to cuts a string there.
CREATE OR REPLACE FUNCTION mock_halo.join_limit(VARIADIC lims integer[]) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN EXISTS (SELECT 1 FROM unnest(lims) AS l WHERE l <= 0) THEN 0
            WHEN 4000 = ANY (lims) THEN 4000 ELSE 8000 END
$$;
CREATE OR REPLACE FUNCTION mock_halo.cut_to(r text, lim integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN lim > 0 THEN left(r, lim) ELSE r END $$;

-- The same with a request parameter among them: lim is the characters SQL Server's type of the result
-- keeps (mock_halo.join_limit; 0: a max type), known only at run time; numbers ignore it.
CREATE OR REPLACE FUNCTION mock_halo.add(a numeric, b numeric, lim integer) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE OR REPLACE FUNCTION mock_halo.add(a text, b text, lim integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT mock_halo.cut_to(a || b, lim) $$;
CREATE OR REPLACE FUNCTION mock_halo.add(a double precision, b double precision, lim integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE OR REPLACE FUNCTION mock_halo.add(a integer, b integer, lim integer) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT a::numeric + b $$;

-- A string built from non-max types is cut as SQL Server cuts it: at lim characters (8,000 varchar,
-- 4,000 nvarchar); lim 0 is a max type (no cut). mock_halo.cut is for strings built from request
-- parameters, which SqlClient sends as nvarchar(4000) unless one is longer (then nvarchar(max)).
CREATE OR REPLACE FUNCTION mock_halo.cut(r text, VARIADIC inputs text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN EXISTS (SELECT 1 FROM unnest(inputs) AS i WHERE length(i) > 4000) THEN r ELSE left(r, 4000) END
$$;
-- REPLICATE(s, n) (and SPACE): NULL for a negative count; never builds more than it keeps, nor a max-type
-- string past 64 MiB (the embedded engine's bound: MAX_VALUE_BYTES, error 7119).
CREATE OR REPLACE FUNCTION mock_halo.replicate(s text, n integer, lim integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    keep integer := CASE WHEN lim >= 0 THEN lim WHEN length(s) > 4000 THEN 0 ELSE 4000 END;
BEGIN
    IF s IS NULL OR n IS NULL OR n < 0 THEN
        RETURN NULL;
    END IF;
    IF keep > 0 THEN
        RETURN left(repeat(s, least(n, keep / greatest(length(s), 1) + 1)), keep);
    END IF;
    IF length(s)::bigint * n > 67108864 THEN
        RAISE EXCEPTION USING ERRCODE = 'MH711', MESSAGE = 'value too large';
    END IF;
    RETURN repeat(s, n);
END $$;

-- A T-SQL LIKE pattern as an anchored regular expression (for ~*): % _ [abc] [a-z] [^a-z], the rest literal.
CREATE OR REPLACE FUNCTION mock_halo.like_regex(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    result text := '^';
    i integer := 1;
    n integer := length(p);
    c text;
    j integer;
BEGIN
    IF p IS NULL THEN
        RETURN NULL;
    END IF;
    WHILE i <= n LOOP
        c := substr(p, i, 1);
        IF c = '%' THEN
            result := result || '.*';
        ELSIF c = '_' THEN
            result := result || '.';
        ELSIF c = '[' AND strpos(substr(p, i + 2), ']') > 0 THEN
            j := strpos(substr(p, i + 2), ']') + 1;  -- a ']' right after '[' (or '[^') belongs to the class
            result := result || '[' || replace(substr(p, i + 1, j - 1), '\', '\\') || ']';
            i := i + j;
        ELSIF c ~ '[.^$*+?(){}|\\\[\]]' THEN
            result := result || '\' || c;
        ELSE
            result := result || c;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN result || '$';
END
$$;

-- CONVERT(datetime, s, style) of a string: the date styles integrations use (an optional time may follow).
CREATE OR REPLACE FUNCTION mock_halo.parse_datetime(s text, style integer) RETURNS timestamp
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN s IS NULL THEN NULL
    WHEN style IN (20, 120, 21, 121, 23, 126, 127) THEN trim(s)::timestamp
    ELSE to_date(split_part(trim(s), ' ', 1), CASE style
            WHEN 101 THEN 'MM/DD/YYYY' WHEN 103 THEN 'DD/MM/YYYY' WHEN 104 THEN 'DD.MM.YYYY'
            WHEN 105 THEN 'DD-MM-YYYY' WHEN 110 THEN 'MM-DD-YYYY' WHEN 111 THEN 'YYYY/MM/DD'
            WHEN 112 THEN 'YYYYMMDD' END)::timestamp
        + coalesce(nullif(trim(substr(trim(s), length(split_part(trim(s), ' ', 1)) + 1)), '')::time, time '00:00')
END
$$;

-- SQL Server's conversion of a text value compared with a number (data type precedence: the text side
-- converts, row by row): blanks are 0 for an int, a value that is not a whole number fails with 245, one
-- too big for the type with 248; for a decimal or float anything but a number fails with 8114. src is the
-- text's SQL Server type (nvarchar, varchar). The errors carry their facts as a JSON array [source, value,
-- target]; the engine words them as SQL Server does (mock_halo/sql/semantics/errors.py, one place).
CREATE OR REPLACE FUNCTION mock_halo.to_int(s text, src text, big boolean) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text := btrim(s, E' \t\r\n');
    n numeric;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF v = '' THEN
        RETURN 0;
    END IF;
    IF v !~ '^[+-]?[0-9]+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'MH245', MESSAGE = json_build_array(src, s,
            CASE WHEN big THEN 'bigint' ELSE 'int' END)::text;
    END IF;
    n := v::numeric;
    IF (big AND (n < -9223372036854775808 OR n > 9223372036854775807))
            OR (NOT big AND (n < -2147483648 OR n > 2147483647)) THEN
        RAISE EXCEPTION USING ERRCODE = 'MH248', MESSAGE = json_build_array(src, s,
            CASE WHEN big THEN 'bigint' ELSE 'int' END)::text;
    END IF;
    RETURN n::bigint;
END
$$;

CREATE OR REPLACE FUNCTION mock_halo.to_numeric(s text, src text, target text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF btrim(s, E' \t\r\n') !~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$' THEN
        RAISE EXCEPTION USING ERRCODE = 'MH814', MESSAGE = json_build_array(src, s, target)::text;
    END IF;
    RETURN btrim(s, E' \t\r\n')::numeric;
END
$$;
