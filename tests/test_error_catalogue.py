"""Every SQL Server error the engines raise is worded in one place: ``mock_halo/sql/semantics/errors.py``.

Both engines (embedded SQLite and PostgreSQL) and the ODBC layer build their errors with its factories, so
the same mistake reads the same whatever the engine (the PostgreSQL twins compare messages too). A
``SqlError(<number>, "...")`` written anywhere else fails here; errors passed through with a number that is
not a constant (SQL Server's own, a THROW's) are not new wording and are allowed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mock_halo"
CATALOGUE = PACKAGE / "sql" / "semantics" / "errors.py"


def worded_elsewhere() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CATALOGUE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            number = node.args[0]
            if isinstance(number, ast.UnaryOp) and isinstance(number.op, ast.USub):
                number = number.operand
            if name == "SqlError" and isinstance(number, ast.Constant) and isinstance(number.value, int):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_sql_server_errors_are_worded_only_in_the_catalogue():
    assert worded_elsewhere() == []


def test_the_check_sees_a_worded_error(tmp_path, monkeypatch):
    module = tmp_path / "mock_halo" / "probe.py"
    module.parent.mkdir()
    module.write_text("from x import SqlError\nraise SqlError(-2, 'late')\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", module.parent)
    assert worded_elsewhere() == ["mock_halo/probe.py:2"]
