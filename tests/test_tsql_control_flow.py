"""Control flow in a batch: WHILE with BREAK / CONTINUE and its loop limit, IF ... ELSE, variables named like
keywords.
"""

from __future__ import annotations

from mock_halo.sql.runtime import interpreter
from mock_halo.sql.testing import error, rows


def test_while_with_break_and_continue(engine):
    text = ("DECLARE @i INT = 0, @s INT = 0; WHILE @i < 10 BEGIN SET @i = @i + 1; IF @i = 3 CONTINUE; "
            "IF @i > 6 BREAK; SET @s = @s + @i END; SELECT @i AS i, @s AS s")
    assert rows(engine, text) == [{"i": 7, "s": 1 + 2 + 4 + 5 + 6}]


def test_while_fills_a_table_variable_and_nested_loops(engine):
    text = ("DECLARE @t TABLE (a INT, b INT); DECLARE @i INT = 1, @j INT; WHILE @i <= 3 BEGIN SET @j = 1; "
            "WHILE @j <= @i BEGIN INSERT INTO @t VALUES (@i, @j); SET @j = @j + 1 END; SET @i = @i + 1 END; "
            "SELECT COUNT(*) AS n, SUM(a * 10 + b) AS s FROM @t")
    assert rows(engine, text) == [{"n": 6, "s": 11 + 21 + 22 + 31 + 32 + 33}]


def test_a_runaway_loop_ends_with_the_timeout_error(engine, monkeypatch):
    monkeypatch.setattr(interpreter, "LOOP_LIMIT", 50)
    assert error(engine, "DECLARE @i INT = 0; WHILE 1 = 1 SET @i = @i + 1").number == -2
    assert rows(engine, "DECLARE @i INT = 0; WHILE @i < 40 SET @i = @i + 1; SELECT @i AS i") == [{"i": 40}]


def test_break_outside_a_loop(engine):
    assert error(engine, "BREAK").number == 135
    assert error(engine, "IF 1 = 1 CONTINUE").number == 135


def test_semicolon_between_end_and_else_is_a_syntax_error(engine):
    err = error(engine, "IF 1 = 1 BEGIN SELECT 1 AS a END; ELSE SELECT 2 AS a")
    assert (err.number, err.message) == (156, "Incorrect syntax near the keyword 'ELSE'.")
    assert rows(engine, "IF 1 = 0 BEGIN SELECT 1 AS a END ELSE SELECT 2 AS a") == [{"a": 2}]
    assert rows(engine, "IF 1 = 0 SELECT 1 AS a; ELSE SELECT 2 AS a") == [{"a": 2}]


def test_variables_named_like_keywords(engine):
    text = ("DECLARE @end INT = 2, @order INT = 3, @if INT = 1, @begin INT, @from DATE = '2020-01-01'; "
            "SET @begin = @end + @order; IF @if = 1 SELECT @begin AS b, @from AS f")
    assert rows(engine, text) == [{"b": 5, "f": "2020-01-01T00:00:00"}]
