"""Settings: where they come from, what production mode refuses, and that docs list them."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.config import SETTINGS, load_settings
from accord.errors import ConfigurationError

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "accord.toml"
    config.write_text('port = 9000\nnode_name = "from-file"\n')
    settings = load_settings({"ACCORD_PORT": "9100"}, config_file=config)
    assert (settings.port, settings.node_name) == (9100, "from-file")


def test_the_default_database_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings({"ACCORD_DATA_DIR": str(tmp_path)}, config_file=tmp_path / "none")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'accord.db'}"


def test_production_mode_refuses_non_durable_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SYNCHRONOUS=FULL"):
        load_settings(
            {"ACCORD_MODE": "production", "ACCORD_SQLITE_SYNCHRONOUS": "NORMAL"},
            config_file=tmp_path / "none",
        )


def test_unknown_and_malformed_settings_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "accord.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigurationError, match="colour"):
        load_settings({}, config_file=config)
    with pytest.raises(ConfigurationError, match="integer"):
        load_settings({"ACCORD_PORT": "eighty"}, config_file=tmp_path / "none")


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"ACCORD_{name.upper()}" in text, name


def test_trusted_proxies_are_read_as_addresses_and_networks(tmp_path: Path) -> None:
    settings = load_settings(
        {"ACCORD_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,2001:db8::/32,"},
        config_file=tmp_path / "none",
    )
    assert [str(n) for n in settings.trusted_proxy_networks] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "2001:db8::/32",
    ]
    assert load_settings({}, config_file=tmp_path / "none").trusted_proxy_networks == ()


@pytest.mark.parametrize("value", ["localhost", "10.0.0.1/8", "10.0.0.0/33", "127.0.0.1;10.0.0.1"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_stops_the_start(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(ConfigurationError, match="trusted_proxies"):
        load_settings({"ACCORD_TRUSTED_PROXIES": value}, config_file=tmp_path / "none")


def test_rate_limits_have_generous_defaults_and_can_be_lowered(tmp_path: Path) -> None:
    defaults = load_settings({}, config_file=tmp_path / "none")
    assert defaults.rate_limit_token >= 100
    assert defaults.rate_limit_token_burst >= 1000
    assert defaults.rate_limit_address >= 100
    assert defaults.rate_limit_address_burst >= 100
    lowered = load_settings(
        {"ACCORD_RATE_LIMIT_TOKEN": "2", "ACCORD_RATE_LIMIT_ADDRESS_BURST": "3"},
        config_file=tmp_path / "none",
    )
    assert (lowered.rate_limit_token, lowered.rate_limit_address_burst) == (2, 3)


@pytest.mark.parametrize(
    "env",
    [
        {"ACCORD_RATE_LIMIT_TOKEN": "-1"},
        {"ACCORD_RATE_LIMIT_ADDRESS": "-5"},
        {"ACCORD_RATE_LIMIT_TOKEN_BURST": "0"},
        {"ACCORD_RATE_LIMIT_ADDRESS_BURST": "0"},
    ],
)
def test_negative_rates_and_empty_bursts_are_refused(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit"):
        load_settings(env, config_file=tmp_path / "none")
