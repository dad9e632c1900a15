"""Webhook configuration: the config file, MOCK_HALO_* variables, and the banner."""

from __future__ import annotations

import pytest

from mock_halo.cli import banner
from mock_halo.config import ConfigError, load_settings, settings_from_mapping

HOOK_ENV = {"MOCK_HALO_WEBHOOK_URL": "http://127.0.0.1:9000/halo/{source}", "MOCK_HALO_WEBHOOK_SECRET": "s3"}


def test_a_config_file_gives_an_integrator_separate_urls(tmp_path):
    path = tmp_path / "mock-halo.toml"
    path.write_text(
        '[[integrators]]\nname = "Bookings"\nsubscription_keys = ["k1"]\n'
        '[integrators.webhook]\nasync_url = "https://hooks.example.com/a/{siteId}/{queryId}"\n'
        'registered_url = "https://hooks.example.com/r/{source}"\nsecret = "shh"\n'
    )
    hook = load_settings(path, env={}).integrators[0].webhook
    assert hook.url is None and hook.secret == "shh"
    assert hook.url_for("async") == "https://hooks.example.com/a/{siteId}/{queryId}"
    assert hook.url_for("registered") == "https://hooks.example.com/r/{source}"


def test_environment_sets_the_first_integrators_webhook_and_timeout(tmp_path):
    settings = load_settings(env={**HOOK_ENV, "MOCK_HALO_WEBHOOK_TIMEOUT": "2.5"})
    hook = settings.integrators[0].webhook
    assert (hook.url, hook.secret, hook.url_for("registered")) == (HOOK_ENV["MOCK_HALO_WEBHOOK_URL"], "s3", HOOK_ENV["MOCK_HALO_WEBHOOK_URL"])
    assert settings.webhook_timeout_s == 2.5
    # The environment overrides a file's URL and keeps its secret.
    path = tmp_path / "mock-halo.toml"
    path.write_text('[[integrators]]\nsubscription_keys = ["k"]\nwebhook = { url = "http://a/", secret = "file" }\n')
    hook = load_settings(path, env={"MOCK_HALO_WEBHOOK_URL": "http://b/"}).integrators[0].webhook
    assert (hook.url, hook.secret) == ("http://b/", "file")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"MOCK_HALO_WEBHOOK_URL": "http://127.0.0.1:9000/"}, "secret"),
        ({**HOOK_ENV, "MOCK_HALO_WEBHOOK_URL": "http://x/{tenant}"}, "{tenant}"),
        ({**HOOK_ENV, "MOCK_HALO_WEBHOOK_URL": "mailto:me@example.com"}, "http"),
        ({**HOOK_ENV, "MOCK_HALO_WEBHOOK_URL": "http://x/caf\u00e9"}, "ASCII"),
        ({**HOOK_ENV, "MOCK_HALO_WEBHOOK_TIMEOUT": "0"}, "webhook_timeout"),
    ],
)
def test_bad_webhook_settings_are_refused_with_a_clear_message(env, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        load_settings(env=env)


def test_unknown_webhook_keys_in_a_file_are_refused():
    data = {"integrators": [{"subscription_keys": ["k"], "webhook": {"url": "http://a/", "secret": "s", "retries": 3}}]}
    with pytest.raises(ConfigError, match="retries"):
        settings_from_mapping(data)


def test_the_banner_says_where_webhooks_go():
    plain = banner(load_settings(env={}), 8080, 0.1)
    assert "webhooks       none configured" in plain
    hooked = banner(load_settings(env=HOOK_ENV), 8080, 0.1)
    assert "http://127.0.0.1:8080/_mock/webhooks" in hooked
    assert "Mock Integrator: all http://127.0.0.1:9000/halo/{source}" in hooked
