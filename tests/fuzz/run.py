"""The long, coverage-guided fuzz run: every target under atheris (libFuzzer) in turn.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python -m tests.fuzz.run --seconds 60 [TARGET ...]

Each target runs in a process of its own (libFuzzer runs once per process), with Accord's
modules instrumented for coverage, its seeds and tokens, for ``--seconds``. A finding (an
exception outside the target's contract) is recorded and the run goes on: one reproducer
and traceback per distinct place it was raised, under ``--out``/findings/TARGET/. A hang
past ``--timeout`` seconds on one input ends that target with libFuzzer's ``timeout-*``
file. The corpus grows under ``--out``/corpus/TARGET and is reused by the next run; the
summary (executions, coverage, findings per target) is printed and written to
``--out``/summary.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(tempfile.gettempdir()) / "accord-fuzz"
_STAT = re.compile(r"stat::(\w+):\s+(\d+)")
_COVERAGE = re.compile(r"\bcov: (\d+)")


def main(argv: list[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    if args.child:
        return _child(args.child, args.out, args.seconds, args.timeout)
    from tests.fuzz.targets import TARGETS

    names = args.targets or sorted(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        print(f"unknown targets: {', '.join(unknown)}; known: {', '.join(sorted(TARGETS))}")
        return 2
    summary = {name: _run_target(name, args) for name in names}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _print_summary(summary)
    failed = (item["findings"] or item["hang"] or item["exit_code"] for item in summary.values())
    return 1 if any(failed) else 0


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("targets", nargs="*", help="target names (default: all)")
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpus and findings")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def _run_target(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One target in its own process; what it did, read from libFuzzer's final stats."""
    command = [sys.executable, "-m", "tests.fuzz.run", "--child", name]
    command += ["--out", str(args.out), "--seconds", str(args.seconds)]
    command += ["--timeout", str(args.timeout)]
    print(f"fuzzing {name} for {args.seconds} s", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    log = args.out / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stdout + done.stderr)
    stats = {key: int(value) for key, value in _STAT.findall(done.stderr)}
    covered = _COVERAGE.findall(done.stderr)
    findings = sorted(p.name for p in (args.out / "findings" / name).glob("*.txt"))
    return {
        "executions": stats.get("number_of_executed_units", 0),
        "executions_per_second": stats.get("average_exec_per_sec", 0),
        "coverage": int(covered[-1]) if covered else 0,
        "new_units": stats.get("new_units_added", 0),
        "corpus": len(list((args.out / "corpus" / name).glob("*"))),
        "findings": findings,
        "hang": sorted(p.name for p in (args.out / "findings" / name).glob("timeout-*")),
        "exit_code": done.returncode,
        "log": str(log),
    }


def _child(name: str, out: Path, seconds: int, timeout: int) -> int:
    """Inside the target's process: instrument Accord, seed the corpus, fuzz."""
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["accord"]):
        from tests.fuzz.targets import TARGETS
    target = TARGETS[name]
    corpus, findings = out / "corpus" / name, out / "findings" / name
    corpus.mkdir(parents=True, exist_ok=True)
    findings.mkdir(parents=True, exist_ok=True)
    for seed in target.seeds():
        (corpus / f"seed-{hashlib.sha256(seed).hexdigest()[:16]}").write_bytes(seed)
    dictionary = out / f"{name}.dict"
    dictionary.write_text("".join(f'"{_escape(token)}"\n' for token in target.tokens))
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:  # noqa: BLE001 - every escape is a finding, recorded
            _record(findings, data, exc, seen)

    options = [f"-max_total_time={seconds}", f"-timeout={timeout}", f"-max_len={target.max_bytes}"]
    options += [f"-dict={dictionary}", f"-artifact_prefix={findings}/", "-print_final_stats=1"]
    atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def _record(folder: Path, data: bytes, exc: Exception, seen: set[str]) -> None:
    """Keep the first input that raised ``exc`` where it was raised, and its traceback."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    where = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
    if where in seen:
        return
    seen.add(where)
    stem = hashlib.sha256(where.encode()).hexdigest()[:12]
    (folder / f"{stem}.input").write_bytes(data)
    text = "".join(traceback.format_exception(exc))
    (folder / f"{stem}.txt").write_text(f"{where}\ninput: {data!r}\n\n{text}")


def _escape(token: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in token)


def _print_summary(summary: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'target':<20}{'executions':>12}{'exec/s':>8}{'cov':>7}{'corpus':>8}  findings")
    for name, item in summary.items():
        found = [*item["findings"], *item["hang"]]
        row = f"{item['executions']:>12}{item['executions_per_second']:>8}{item['coverage']:>7}"
        print(f"{name:<20}{row}{item['corpus']:>8}  {len(found) or '-'}")
        for finding in found:
            print(f"{'':<57}{finding}")


if __name__ == "__main__":
    sys.exit(main())
