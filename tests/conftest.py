"""Shared fixtures: a fresh in-process emulator per test, on a virtual clock."""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, Settings, load_settings
from mock_halo.emulator import Emulator
from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.testing import mini_engine

# Tests build their practices fresh and never write the user's practice cache (test_practice_disk_cache sets it).
os.environ.setdefault("MOCK_HALO_CACHE_DIR", "")

#: The project's own packages (not tests): hypothesis draws constants from their source.
LOCAL_PACKAGES = ("mock_halo", "bench")


def local_modules() -> list[str]:
    """Every module of :data:`LOCAL_PACKAGES` (``__main__`` modules aside: they run on import)."""
    names = []
    for package in map(importlib.import_module, LOCAL_PACKAGES):
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                  if info.name.rsplit(".", 1)[-1] != "__main__"]
    return names


def _load_local_modules() -> None:
    """Hypothesis mixes constants from the code under test into what it generates, read from the project's
    modules loaded when it draws. A test worker loads some of them lazily (those its earlier tests needed),
    so the same derandomized test drew different data depending on how the tests were split over workers
    (a queryId "registered" in one split, none in another). Loading them all before any test runs makes
    each test's data a function of the code alone."""
    for name in local_modules():
        with contextlib.suppress(ImportError):  # an optional dependency missing here: no test loads it either
            importlib.import_module(name)


_load_local_modules()

SITE = DEFAULT_SITE_IDS[0]
OTHER_SITE = DEFAULT_SITE_IDS[1]
UNPAIRED_SITE = DEFAULT_SITE_IDS[2]
KEY = DEFAULT_SUBSCRIPTION_KEY
DEVICE = "test-device"
DEVICE_GRANT = "urn:halo-connect:oauth:device-token"
DESKTOP_GRANT = "urn:halo-connect:oauth:desktop-token"


def make_settings(**overrides: Any) -> Settings:
    values = {"clock": "virtual", "patients": 60}
    values.update(overrides)
    return load_settings(env={}, overrides=values)


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def engine() -> Iterator[SqliteEngine]:
    """A fresh embedded SQL engine over the miniature site (a test module may define its own ``engine``)."""
    sql_engine = mini_engine()
    yield sql_engine
    sql_engine.close()


@pytest.fixture
def emulator(settings: Settings) -> Iterator[Emulator]:
    emulator = Emulator(settings)
    yield emulator
    emulator.close()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emulator=emulator)) as test_client:
        yield test_client


class Halo:
    """A tiny Halo client over the test client, so tests read as API calls."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def token(self, site: str = SITE, device: str = DEVICE, grant: str = DEVICE_GRANT, key: str = KEY) -> str:
        response = self.client.post(
            "/integrator/token",
            data={"grant_type": grant, "device_id": device, "site_id": site},
            headers={"Ocp-Apim-Subscription-Key": key},
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def headers(self, token: str, device: str = DEVICE) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "DeviceId": device}

    def immediate(self, sql: str | None = None, *, site: str = SITE, token: str | None = None,
                  body: dict[str, Any] | None = None, prefix: str = "device", **command: Any):
        token = token or self.token(site)
        if body is None:
            body = {"command": {"text": sql, **command}}
        return self.client.post(f"/{prefix}/sites/{site}/queries/immediate", json=body, headers=self.headers(token))

    def rows(self, sql: str, **command: Any) -> list[dict[str, Any]]:
        response = self.immediate(sql, **command)
        assert response.status_code == 200, response.text
        return decode_rows(response.json())


def decode_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(base64.b64decode(body["result"]["data"]))


@pytest.fixture
def halo(client: TestClient) -> Halo:
    return Halo(client)


def assert_general_error(response, status: int, *fragments: str) -> dict[str, Any]:
    """The general envelope with this status, a matching reason phrase and message fragments."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["statusText"], str) and error["statusText"]
    for fragment in fragments:
        assert fragment.lower() in error["message"].lower(), error["message"]
    return error
