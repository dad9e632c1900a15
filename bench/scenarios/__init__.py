"""Built-in scenarios; importing this package registers them.

To add one, write a module here with one decorated function (see
``bench/README.md``) and import it below.
"""

from bench.scenarios import emulator, fhir, startup, inproc, status, integrator, sql, lifecycle, baseline, control, chaos, webhooks, practice, console, logs  # noqa: F401, I001  (order = run order)
