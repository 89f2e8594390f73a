"""The short, bounded fuzz run CI does: every parser and decoder of outside input, briefly.

Each target (``tests/fuzz/targets.py``) gets its seeds replayed, then ``EXAMPLES`` inputs
drawn by hypothesis from mutated seeds, JSON and noise; any exception other than the
target's documented refusal fails the test with a shrunk reproducer. The long,
coverage-guided run is ``tests/fuzz/run.py`` (docs/testing.md).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutations import inputs
from tests.fuzz.targets import TARGETS, Target
from tests.reference import REFERENCE

EXAMPLES = 150


def _target(name: str) -> Target:
    target = TARGETS[name]
    if target.known:
        pytest.xfail(f"open finding, listed in docs/testing.md: {target.known}")
    return target


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_meets_its_targets_contract(name: str) -> None:
    target = _target(name)
    corpus = target.seeds()
    assert corpus, f"{name} has no seeds"
    for seed in corpus:
        target(seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_input_is_parsed_or_refused_with_the_documented_error(
    name: str, data: st.DataObject
) -> None:
    target = _target(name)
    target(data.draw(inputs(target), label="input"))


def test_the_cap_seeds_include_the_shared_reference_alerts() -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"the shared reference corpus is not at {REFERENCE}; CI provides it")
    assert len(TARGETS["cap_xml"].seeds()) > 20
    assert len(TARGETS["cap_json"].seeds()) > 20
