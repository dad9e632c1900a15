"""The HTTP client library of the control client (:mod:`mock_halo.client`).

``httpx`` when it is installed (the contract extra and most integrators' environments have it),
else ``httpx2``, which is a dependency: Starlette's ``TestClient`` is built on it (with plain
``httpx`` alone that client warns it is deprecated), so a plain install of the ``pytest`` extra
has a working control client without a second HTTP library. Both have the same API.
"""

from __future__ import annotations

try:
    import httpx
except ModuleNotFoundError:  # a plain install: the dependency httpx2
    import httpx2 as httpx  # type: ignore[no-redef]

__all__ = ["httpx"]
