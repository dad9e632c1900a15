"""Finding the project's data files (the contract, the fixture DDL).

In a wheel they are packaged under ``mock_halo/_data``; in a checkout (editable
install) they are the top-level ``contracts/`` and ``fixtures/`` folders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def data_path(relative: str) -> Path:
    """``relative`` such as ``"contracts/openapi.yaml"`` or ``"fixtures/bp_premier"``."""
    packaged = _PACKAGE / "_data" / relative
    if packaged.exists():
        return packaged
    checkout = _PACKAGE.parent / relative
    if checkout.exists():
        return checkout
    raise FileNotFoundError(f"mock-halo data file not found: {relative} (looked in {packaged} and {checkout})")


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    """Our OpenAPI contract (contracts/openapi.yaml) as a dict."""
    import yaml

    return yaml.safe_load(data_path("contracts/openapi.yaml").read_text(encoding="utf-8"))
