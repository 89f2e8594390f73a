"""The `accord` command: offline CAP tools, and sending to a live node over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.config import Settings
from accord.demo.seed import prepare_demo
from accord.entrypoints.cli.main import app
from tests.integration.cap_samples import alert_xml
from tests.integration.conftest import LiveServer, Region
from tests.reference import real_alert_files, reference_dir

runner = CliRunner()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_cap_validate_exits_0_for_valid_files_and_1_naming_every_problem(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.xml", alert_xml("V-1"))
    bad = _write(tmp_path, "bad.xml", alert_xml("V 2", polygon="1,1 2,2 3,3"))
    assert runner.invoke(app, ["cap", "validate", str(good)]).exit_code == 0
    result = runner.invoke(app, ["cap", "validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert "bad.xml: INVALID" in result.output
    assert "INVALID_IDENTIFIER" in result.output
    assert "INVALID_POLYGON" in result.output


def test_cap_validate_accepts_every_real_alert_in_the_reference_corpus() -> None:
    reference_dir()
    result = runner.invoke(app, ["cap", "validate", *map(str, real_alert_files())])
    assert result.exit_code == 0, result.output


def test_cap_convert_round_trips_through_json(tmp_path: Path) -> None:
    source = _write(tmp_path, "a.xml", alert_xml("C-1"))
    as_json = runner.invoke(app, ["cap", "convert", str(source), "--to", "json"])
    assert as_json.exit_code == 0, as_json.output
    json_file = _write(tmp_path, "a.json", as_json.output.encode())
    back = runner.invoke(app, ["cap", "convert", str(json_file), "--to", "xml"])
    assert back.exit_code == 0, back.output
    assert "<identifier>C-1</identifier>" in back.output
    assert json.loads(as_json.output)["identifier"] == "C-1"


def test_alert_send_and_list_talk_to_a_live_node(
    server: LiveServer, region: Region, tmp_path: Path
) -> None:
    files = [_write(tmp_path, f"s{n}.xml", alert_xml(f"S-{n}")) for n in range(3)]
    bad = _write(tmp_path, "bad.xml", b"<alert/>")
    token = region.tokens["EE:focal-point"]
    sent = runner.invoke(
        app, ["alert", "send", *map(str, files), "--node", server.url, "--token", token]
    )
    assert sent.exit_code == 0, sent.output
    assert sent.output.count("created") == 3
    refused = runner.invoke(
        app, ["alert", "send", str(bad), "--node", server.url, "--token", token]
    )
    assert refused.exit_code == 1
    listed = runner.invoke(app, ["alert", "list", "--node", server.url, "--token", token, "--json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)["items"]) == 3
    unauthorised = runner.invoke(app, ["alert", "list", "--node", server.url, "--token", "x"])
    assert unauthorised.exit_code == 5


def test_every_real_alert_sent_with_the_cli_is_accepted_and_the_public_ones_are_in_the_feed(
    server: LiveServer, region: Region
) -> None:
    reference_dir()
    files = [str(path) for path in real_alert_files()]
    sent = runner.invoke(
        app,
        ["alert", "send", *files, "--node", server.url, "--token", region.tokens["EE:focal-point"]],
    )
    assert sent.exit_code == 0, sent.output
    with server.client() as anonymous:
        feed = anonymous.get("/feeds/cap.atom").text
    assert "Seychelles" in feed or "strong winds" in feed.lower()


def test_demo_seeds_a_region_and_writes_its_url_and_tokens(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, port=8123)
    info = prepare_demo(settings)
    written = json.loads((tmp_path / "demo.json").read_text())
    assert written["url"] == "http://127.0.0.1:8123"
    assert written["admin_token"] == info["admin_token"]
    assert {"ee-focal", "fi-analyst", "observer"} <= set(written["tokens"])
    again = prepare_demo(settings)
    assert again["admin_token"] != info["admin_token"]


def test_cli_documentation_names_every_command() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            name = command.name or command.callback.__name__  # type: ignore[union-attr]
            assert f"accord {group.name} {name}" in text, (group.name, name)
    for command in app.registered_commands:
        assert f"accord {command.name or command.callback.__name__}" in text  # type: ignore[union-attr]


def test_key_commands_show_generate_and_rotate_keys(tmp_path: Path) -> None:
    options = ["--data-dir", str(tmp_path)]
    added = runner.invoke(app, ["participant", "add", "EE", "Estonia", *options])
    assert added.exit_code == 0, added.output
    generated = runner.invoke(app, ["key", "generate", *options])
    assert generated.exit_code == 0, generated.output
    assert json.loads(generated.output)["registered"] == []  # EE's key came with EE
    shown = json.loads(runner.invoke(app, ["key", "show", *options]).output)
    assert shown["log"].startswith("accord+")
    rotated = runner.invoke(app, ["key", "rotate", "--participant", "ee", *options])
    assert rotated.exit_code == 0, rotated.output
    keys = json.loads(runner.invoke(app, ["key", "show", *options]).output)["participants"]
    assert [k["retired_at"] is None for k in keys] == [False, True]
    rebuilt = runner.invoke(app, ["rebuild", *options])
    assert rebuilt.exit_code == 0, rebuilt.output
    missing = runner.invoke(app, ["key", "rotate", "--participant", "ZZ", *options])
    assert missing.exit_code != 0
