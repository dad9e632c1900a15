"""Property tests of integrators' clients: Halo's bad days, generated and applied, and the client judged.

* :mod:`mock_halo.chaos.schedule`: faults and schedules as data;
* :mod:`mock_halo.chaos.runner`: :class:`ChaosRunner` (the ``halo_chaos``
  fixture) runs a client function against a fresh emulator per schedule;
* :mod:`mock_halo.chaos.transport`: the in-process httpx transports;
* :mod:`mock_halo.strategies` generates schedules; :mod:`mock_halo.checks`
  judges the journal.

This package needs ``httpx`` (``pip install 'mock-halo[clients]'`` adds it and hypothesis).
"""

from mock_halo.chaos.runner import ChaosHalo, ChaosRun, ChaosRunner
from mock_halo.chaos.schedule import (
    AsyncOutcome,
    DataEdit,
    EarlyRetention,
    Fault,
    HttpError,
    Latency,
    PageUploads,
    RowsKept,
    Schedule,
    SiteOutage,
    SlowQuery,
    SqlFailure,
    TextValue,
    TokenExpiry,
    WebhookFault,
)
from mock_halo.chaos.transport import BudgetExceeded

__all__ = [
    "AsyncOutcome", "BudgetExceeded", "ChaosHalo", "ChaosRun", "ChaosRunner", "DataEdit", "EarlyRetention", "Fault", "HttpError",
    "Latency", "PageUploads", "RowsKept", "Schedule", "SiteOutage", "SlowQuery", "SqlFailure", "TextValue", "TokenExpiry",
    "WebhookFault",
]
