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
