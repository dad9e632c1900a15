"""SQL Server's meaning, in plain Python: value kinds, errors, conversions, dates, strings, FORMAT, and
how values render in Halo's JSON rows.

Nothing here knows a parse tree or an engine: the front end, the runtime and every
engine's back end ask these modules what SQL Server would do.
"""
