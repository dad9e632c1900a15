"""Deterministic identifiers: the same seed and the same requests give the same ids."""

from __future__ import annotations

import random
import uuid


class IdSource:
    """Version-4-shaped UUIDs drawn from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random = random.Random(seed)

    def reset(self) -> None:
        self._random = random.Random(self._seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def jitter(self, low: float, high: float) -> float:
        """A seeded draw in [low, high): used for modelled durations."""
        return self._random.uniform(low, high)
