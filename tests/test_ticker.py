"""With a running clock, due work happens even when nobody sends a request."""

import asyncio
import json
from datetime import timedelta

from conftest import SITE, Halo, make_settings
from starlette.testclient import TestClient

import mock_halo.app as app_module
from mock_halo.app import create_app
from mock_halo.clock import DEFAULT_EPOCH, Clock
from mock_halo.emulator import Emulator
from mock_halo.sql import SqlCommand


class FakeWall:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def first_name(emulator: Emulator, patient: int) -> str:
    """Read straight from the engine: this does not run the lifecycle's scheduler."""
    command = SqlCommand(text=f"SELECT FIRSTNAME AS f FROM PATIENTS WHERE INTERNALID = {patient}",
                         execution_mode="reader", command_type="text", parameters=[], catalogue=None)
    return json.loads(emulator.engine(emulator.sites[SITE]).execute(command).data)[0]["f"]


def spin(client: TestClient, turns: int = 20) -> None:
    """Let the app's event loop run its background task a few times (no waiting on time)."""
    for _ in range(turns):
        client.portal.call(asyncio.sleep, 0)


def test_background_tick_runs_async_executions_on_a_running_clock(monkeypatch):
    monkeypatch.setattr(app_module, "TICK_SECONDS", 0)
    wall = FakeWall()
    emulator = Emulator(make_settings(), clock=Clock(start=DEFAULT_EPOCH, speed=1.0, wall=wall))
    with TestClient(create_app(emulator=emulator)) as client:
        halo = Halo(client)
        token = halo.token()
        body = {"command": {"text": "UPDATE PATIENTS SET FIRSTNAME = 'Ticked' WHERE INTERNALID = 1",
                            "executionMode": "nonQuery"}}
        response = client.post(f"/device/sites/{SITE}/queries/async", json=body, headers=halo.headers(token))
        assert response.status_code == 201
        spin(client)
        assert first_name(emulator, 1) != "Ticked"  # no time has passed: not executed yet
        wall.t += 600  # ten minutes of wall time, and no request
        # The tick hands the execution to the site's thread: turn the loop until it is done
        # (bounded), as a fixed number of turns could end first on a loaded machine.
        for _ in range(2000):
            if first_name(emulator, 1) == "Ticked":
                break
            spin(client, 1)
        assert first_name(emulator, 1) == "Ticked"


def test_frozen_clock_is_not_ticked(monkeypatch):
    monkeypatch.setattr(app_module, "TICK_SECONDS", 0)
    emulator = Emulator(make_settings())  # virtual: frozen
    with TestClient(create_app(emulator=emulator)) as client:
        halo = Halo(client)
        body = {"command": {"text": "UPDATE PATIENTS SET FIRSTNAME = 'Ticked' WHERE INTERNALID = 1",
                            "executionMode": "nonQuery"}}
        client.post(f"/device/sites/{SITE}/queries/async", json=body, headers=halo.headers(halo.token()))
        spin(client)
        assert first_name(emulator, 1) != "Ticked"


def test_an_app_started_again_listens_to_the_clock_once_and_still_catches_up_on_a_move():
    """The same app under several lifespans (a test client per test): one clock listener, not one more
    per start, and a clock move in a later lifespan still runs what fell due without a request."""
    emulator = Emulator(make_settings())  # virtual: frozen
    app = create_app(emulator=emulator)
    with TestClient(app):
        pass
    listeners = len(emulator.clock._listeners)
    for _ in range(3):
        with TestClient(app):
            pass
    assert len(emulator.clock._listeners) == listeners
    with TestClient(app) as client:
        halo = Halo(client)
        body = {"command": {"text": "UPDATE PATIENTS SET FIRSTNAME = 'Moved' WHERE INTERNALID = 1",
                            "executionMode": "nonQuery"}}
        response = client.post(f"/device/sites/{SITE}/queries/async", json=body, headers=halo.headers(halo.token()))
        assert response.status_code == 201
        client.portal.call(emulator.clock.advance, timedelta(minutes=10))  # no request follows
        for _ in range(2000):
            if first_name(emulator, 1) == "Moved":
                break
            spin(client, 1)
        assert first_name(emulator, 1) == "Moved"
