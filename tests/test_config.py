import pytest

from mock_halo.config import (
    DEFAULT_SITE_IDS,
    DEFAULT_SUBSCRIPTION_KEY,
    ConfigError,
    example_toml,
    load_settings,
    settings_from_mapping,
)


def test_embedded_defaults_have_two_paired_sites_and_an_unpaired_one():
    settings = load_settings(env={})
    integrator = settings.integrators[0]
    assert integrator.subscription_keys[0] == DEFAULT_SUBSCRIPTION_KEY
    assert [s.pms_type for s in settings.sites] == ["BestPractice"] * 3
    assert set(integrator.sites) == set(DEFAULT_SITE_IDS[:2])
    assert DEFAULT_SITE_IDS[2] not in integrator.sites
    assert settings.sites[0].default_catalogue == "BPSPatients"


def test_environment_overrides_defaults():
    env = {
        "MOCK_HALO_PORT": "9123",
        "MOCK_HALO_HOST": "0.0.0.0",
        "MOCK_HALO_SEED": "7",
        "MOCK_HALO_PATIENTS": "1000",
        "MOCK_HALO_SUBSCRIPTION_KEY": "my-key",
        "MOCK_HALO_CLOCK": "virtual",
        "MOCK_HALO_STRICT_TOKEN_PREFIX": "yes",
    }
    settings = load_settings(env=env)
    assert (settings.port, settings.host, settings.seed, settings.patients) == (9123, "0.0.0.0", 7, 1000)
    assert settings.integrators[0].subscription_keys[0] == "my-key"
    assert settings.clock == "virtual"
    assert settings.strict_token_prefix is True


def test_toml_file_then_env_then_overrides(tmp_path):
    path = tmp_path / "halo.toml"
    path.write_text(example_toml().replace("port = 8080", "port = 7000"))
    assert load_settings(path, env={}).port == 7000
    assert load_settings(path, env={"MOCK_HALO_PORT": "7001"}).port == 7001
    assert load_settings(path, env={"MOCK_HALO_PORT": "7001"}, overrides={"port": 7002}).port == 7002
    settings = load_settings(path, env={})
    assert settings.sites[0].patients == 500
    assert settings.integrators[0].name == "My Integration"


def test_sites_without_integrators_pair_the_default_integrator_with_all_of_them():
    settings = settings_from_mapping(
        {"sites": [{"name": "A"}, {"name": "B", "pms_type": "BestPractice", "availability": "offline"}]}
    )
    assert len(settings.sites) == 2
    assert set(settings.integrators[0].sites) == {s.id for s in settings.sites}
    assert settings.sites[1].availability == "offline"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"port": "eighty"}, "'port' must be an integer, got 'eighty'"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"sites": [{"pms_type": "Medicat"}]}, "pms_type must be one of"),
        ({"sites": [{"availability": "sleepy"}]}, "availability must be one of"),
        ({"sites": [{"id": "not-a-guid"}]}, "must be a GUID"),
        ({"sites": [{"bogus": 1}]}, "unknown key(s) ['bogus']"),
        ({"integrators": [{"name": "x"}]}, "needs 'subscription_keys'"),
        ({"integrators": [{"subscription_keys": ["k"], "sites": ["b0586976-33f4-4d47-bc77-000000000000"]}]}, "unknown site"),
        ({"gateway_style": "soap"}, "gateway_style"),
        ({"clock": "sundial"}, "clock must be one of"),
        ({"patients": 0}, "patients must be"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(data, fragment):
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"prot": 8080}, "unknown setting 'prot' (did you mean 'port'?)"),
        ({"server": {"patient": 40}}, "unknown setting 'patient' (did you mean 'patients'?)"),
        ({"site": [{"name": "A"}]}, "unknown setting 'site' (did you mean 'sites'?)"),
        ({"sites": [{"nmae": "A"}]}, "unknown key(s) ['nmae'] ('nmae': did you mean 'name'?)"),
        ({"integrators": [{"subscription_keys": ["k"], "webhook": {"ulr": "http://127.0.0.1:9/"}}]},
         "unknown key(s) ['ulr'] ('ulr': did you mean 'url'?)"),
        ({"zzzz": 1}, "unknown setting 'zzzz'"),
    ],
)
def test_an_unknown_key_suggests_the_closest_known_one(data, message):
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data)
    assert str(info.value).endswith(message)


def test_a_setting_of_the_wrong_type_is_named_in_words():
    with pytest.raises(ConfigError, match="'clock_speed' must be a number, got 'fast'"):
        settings_from_mapping({"clock_speed": "fast"})
    with pytest.raises(ConfigError, match="must be true or false, got 'perhaps'"):
        settings_from_mapping({"strict_token_prefix": "perhaps"})


def test_missing_or_broken_toml_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, env={})


def test_sites_of_other_pms_types_need_data_files():
    with pytest.raises(ConfigError, match="only generates Bp Premier practices"):
        settings_from_mapping({"sites": [{"pms_type": "Zedmed"}]})


def test_data_file_must_exist_and_name_a_catalogue(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        settings_from_mapping({"sites": [{"data": {"BPSPatients": str(tmp_path / "absent.sqlite")}}]})
    (tmp_path / "x.sqlite").write_bytes(b"")
    with pytest.raises(ConfigError, match="not one of the site's catalogues"):
        settings_from_mapping({"sites": [{"data": {"Patients": str(tmp_path / "x.sqlite")}}]})


def test_config_example_preloads_its_scenario(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(example_toml())
    settings = load_settings(path, env={})
    assert [rule["id"] for rule in settings.scenarios] == ["busy-appointments"]


def test_sql_deadlines_from_env_toml_and_their_bounds(tmp_path):
    defaults = load_settings(env={})
    assert (defaults.immediate_timeout_s, defaults.execution_timeout_s) == (30.0, 300.0)
    env = {"MOCK_HALO_IMMEDIATE_TIMEOUT": "0.5", "MOCK_HALO_EXECUTION_TIMEOUT": "2"}
    settings = load_settings(env=env)
    assert (settings.immediate_timeout_s, settings.execution_timeout_s) == (0.5, 2.0)
    path = tmp_path / "halo.toml"
    path.write_text("[server]\nimmediate_timeout = 5\nexecution_timeout = 60.5\n")
    settings = load_settings(path, env={})
    assert (settings.immediate_timeout_s, settings.execution_timeout_s) == (5.0, 60.5)
    for bad in ({"immediate_timeout": 0}, {"execution_timeout": -1}, {"immediate_timeout": 100_000},
                {"execution_timeout": "nan"}):
        with pytest.raises(ConfigError, match="timeout must be more than 0"):
            settings_from_mapping(bad)
