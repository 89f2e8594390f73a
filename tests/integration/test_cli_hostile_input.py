"""The ``accord`` command on hostile input: every refusal is one line on stderr that says
what to do, never a traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.adapters.sql.tables import records
from accord.bootstrap import build
from accord.config import Settings
from accord.entrypoints.cli.main import app, unexpected

runner = CliRunner()
DEEP = "[" * 100_000 + "]" * 100_000


def _data(tmp_path: Path) -> list[str]:
    node = build(Settings(data_dir=tmp_path))
    node.identity.add_participant("EE", "EE", "state")
    node.close()
    return ["--data-dir", str(tmp_path)]


def _record_count(tmp_path: Path) -> int:
    node = build(Settings(data_dir=tmp_path))
    try:
        with node.engine.connect() as connection:
            query = select(func.count()).select_from(records)
            return int(connection.execute(query).scalar_one())
    finally:
        node.close()


def _one_line_refusal(output: str, *needles: str) -> None:
    assert "Traceback" not in output
    assert output.startswith("error: "), output
    for needle in needles:
        assert needle in output, output


@pytest.mark.parametrize(
    "at", ["7658-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
)
def test_a_compliance_report_at_a_time_out_of_range_is_refused_naming_at(
    tmp_path: Path, at: str
) -> None:
    args = _data(tmp_path)
    loaded = runner.invoke(app, ["agreement", "load", "vienna-document-2011", "--as", "EE", *args])
    assert loaded.exit_code == 0, loaded.output
    report = runner.invoke(
        app, ["compliance", "report", "--agreement", "vienna-document-2011", "--at", at, *args]
    )
    assert report.exit_code == 1
    _one_line_refusal(report.output, "at")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ('kind: request\nrequest: inspection\nto: LV\nabout: "a\\0b"\n', "FORBIDDEN_CHARACTER"),
        ("kind: request\nrequest: inspection\nto: LV\nabout: " + "[" * 5000, "TOO_DEEP"),
        (
            "kind: notification\nactivity_id: X\nactivity: exercise\n"
            'start: "9999-12-31T23:59:59-14:00"\n',
            "DATE_OUT_OF_RANGE",
        ),
    ],
)
def test_a_hostile_filing_file_is_refused_in_one_line_and_nothing_is_signed(
    tmp_path: Path, content: str, code: str
) -> None:
    args = _data(tmp_path)
    before = _record_count(tmp_path)
    filing = tmp_path / "filing.yaml"
    filing.write_text(content, encoding="utf-8")
    filed = runner.invoke(app, ["file", str(filing), "--as", "EE", *args])
    assert filed.exit_code == 1, filed.output
    _one_line_refusal(filed.output, code)
    assert _record_count(tmp_path) == before


def test_a_cap_json_file_nested_thousands_deep_is_invalid_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    validated = runner.invoke(app, ["cap", "validate", str(deep)])
    converted = runner.invoke(app, ["cap", "convert", str(deep), "--to", "xml"])
    assert validated.exit_code == 1
    assert "TOO_DEEP" in validated.output
    assert converted.exit_code == 1
    _one_line_refusal(converted.output, "TOO_DEEP")


def test_an_argument_that_was_not_utf8_is_refused_naming_the_option(tmp_path: Path) -> None:
    args = _data(tmp_path)
    before = _record_count(tmp_path)
    # Python hands undecodable argv bytes over as lone surrogates ("\udcff").
    added = runner.invoke(app, ["participant", "add", "LV", "Lat\udcffvia", *args])
    assert added.exit_code == 1, added.output
    _one_line_refusal(added.output, "FORBIDDEN_CHARACTER")
    assert _record_count(tmp_path) == before


def test_an_error_no_command_planned_for_is_one_line_saying_what_to_do() -> None:
    missing = unexpected(FileNotFoundError(2, "No such file or directory", "x.json"))
    bug = unexpected(RecursionError("maximum recursion depth exceeded\nmore"))
    assert (
        missing
        == "[Errno 2] No such file or directory: 'x.json'; check the path and its permissions"
    )
    assert bug.startswith("RecursionError: maximum recursion depth exceeded; this is a bug")
    assert "\n" not in bug
