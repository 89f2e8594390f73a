"""``accord agreement``, ``accord file`` and ``accord compliance report`` on a node's data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from accord.bootstrap import build
from accord.config import Settings
from accord.entrypoints.cli.main import app

runner = CliRunner()


def _args(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path)]


def test_a_built_in_agreement_shows_on_a_fresh_install(tmp_path: Path) -> None:
    as_json = runner.invoke(
        app, ["agreement", "show", "vienna-document-2011", "--json", *_args(tmp_path)]
    )
    as_text = runner.invoke(app, ["agreement", "show", "vienna-document-2011", *_args(tmp_path)])
    missing = runner.invoke(app, ["agreement", "show", "nothing-like-it", *_args(tmp_path)])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert document["name"] == "vienna-document-2011"
    assert document["loaded"] is False
    assert "lead_days: 42  (VD11 V (38); NOT verified)" in as_text.output
    assert missing.exit_code != 0
    assert "no agreement" in missing.output


def test_load_file_and_report_in_every_format(tmp_path: Path) -> None:
    node = build(Settings(data_dir=tmp_path))
    for code in ("EE", "LV"):
        node.identity.add_participant(code, code, "state")
    node.close()
    treaty = tmp_path / "pact.yaml"
    starts = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    treaty.write_text(
        f"""
name: border-pact
title: Border confidence pact
version: 1
parties: [EE, LV]
mandate: Notify large exercises.
tier: 1
starts: {starts}
sunset: null
review: null
emergency: null
advance: null
obligations:
  - id: notify
    tier: 1
    rule: prior-notification
    description: Notify exercises of 9,000 troops or more 42 days ahead.
    source: the pact, article 1
    params:
      activities: [exercise]
      thresholds: {{personnel: 9000}}
      lead_days: 42
""",
        encoding="utf-8",
    )
    start = datetime.now(UTC) + timedelta(days=10)
    filing = tmp_path / "notice.json"
    filing.write_text(
        json.dumps(
            {
                "kind": "notification",
                "activity_id": "EE-LATE",
                "activity": "exercise",
                "start": start.isoformat(),
                "end": (start + timedelta(days=3)).isoformat(),
                "area": "north",
                "forces": {"personnel": 12000},
            }
        )
    )
    loaded = runner.invoke(app, ["agreement", "load", str(treaty), "--as", "LV", *_args(tmp_path)])
    unsigned = runner.invoke(app, ["agreement", "load", str(treaty), *_args(tmp_path)])
    filed = runner.invoke(app, ["file", str(filing), "--as", "EE", *_args(tmp_path)])
    listed = runner.invoke(app, ["agreement", "list", *_args(tmp_path)])
    text = runner.invoke(app, ["compliance", "report", *_args(tmp_path)])
    as_csv = runner.invoke(app, ["compliance", "report", "--format", "csv", *_args(tmp_path)])
    as_json = runner.invoke(
        app,
        [
            "compliance",
            "report",
            "--format",
            "json",
            "--agreement",
            "border-pact",
            *_args(tmp_path),
        ],
    )
    bad = runner.invoke(app, ["compliance", "report", "--format", "xls", *_args(tmp_path)])
    assert loaded.exit_code == 0, loaded.output
    assert unsigned.exit_code != 0
    assert "--as" in unsigned.output
    assert filed.exit_code == 3, filed.output  # accepted, and flagged
    assert json.loads(filed.output)["flags"][0]["obligation"] == "notify"
    assert "border-pact  v1" in listed.output
    assert "EE  late" in text.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(r["participant"], r["status"]) for r in rows] == [("EE", "late")]
    assert json.loads(as_json.output)[0]["totals"] == {"late": 1}
    assert bad.exit_code != 0
