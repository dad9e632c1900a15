"""Running a compiled script: request parameters, the batch interpreter over an engine's session, and
the shaping of results into a ``SqlOutcome``.
"""
