"""The folder is the tier: the collection hook in tests/conftest.py marks every test from its folder
and refuses a test whose own markers say otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiers import REAL_PARTS, TIER_MARKERS, TIERS, tier_problem

TESTS = Path(__file__).resolve().parents[1]


def test_every_collected_test_carries_exactly_its_folders_tier(
    request: pytest.FixtureRequest,
) -> None:
    items = request.session.items
    assert any(item.nodeid == request.node.nodeid for item in items)
    for item in items:
        folder = item.path.resolve().relative_to(TESTS).parts[0]
        names = {mark.name for mark in item.iter_markers()}
        assert names & TIER_MARKERS == set(TIERS[folder]), item.nodeid
        assert bool(names & REAL_PARTS) == (folder == "real"), item.nodeid


def test_every_tier_folder_is_a_package_and_nothing_is_tested_outside_them() -> None:
    for tier in (*TIERS, "support"):
        assert (TESTS / tier / "__init__.py").is_file(), tier
    assert not list(TESTS.glob("test_*.py"))
    assert not list((TESTS / "support").glob("test_*.py"))


def test_agreeing_markers_pass() -> None:
    assert tier_problem(("unit", "test_x.py"), ["parametrize", "slow"]) is None
    assert tier_problem(("loopback", "test_x.py"), ["gateway"]) is None
    assert tier_problem(("process", "test_x.py"), ["subprocess", "process"]) is None
    assert tier_problem(("real", "test_x.py"), ["shells"]) is None


@pytest.mark.parametrize(
    ("parts", "markers", "words"),
    [
        (("unit", "test_x.py"), ["gateway"], "marked gateway but the folder says unit"),
        (("cli", "test_x.py"), ["subprocess"], "marked subprocess but the folder says cli"),
        (("process", "test_x.py"), ["loopback"], "marked loopback but the folder says process"),
        (("loopback", "test_x.py"), ["claude"], "needs claude, so it belongs in tests/real"),
        (("real", "test_x.py"), ["real"], "a real test names the part it needs"),
        (("test_x.py",), [], "a test file lives in a tier folder"),
        (("support", "test_x.py"), [], "a test file lives in a tier folder"),
    ],
)
def test_contradicting_markers_are_refused(
    parts: tuple[str, ...], markers: list[str], words: str
) -> None:
    problem = tier_problem(parts, markers)
    assert problem is not None and words in problem
