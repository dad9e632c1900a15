"""The T-SQL front end: text -> statements and control flow -> resolved, typed trees -> a compiled script.

:class:`~mock_halo.sql.frontend.translate.Translator` is the entry point (with its cache by text; each engine
subclasses it with its back end);
what it produces is a :class:`~mock_halo.sql.frontend.script.Script`.
"""
