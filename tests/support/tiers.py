"""Test tiers: the folder under tests/ is the tier, and the tier sets the markers.

A test's explicit tier marker that contradicts its folder, a test outside a tier folder, and a
real-part marker (which real part a real test needs) outside tests/real are collection errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# folder -> the markers it adds: the tier's own name, plus the older name scripts and docs select
# with (`-m "not subprocess"`, `-m gateway`).
TIERS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "cli": ("cli",),
    "loopback": ("loopback", "gateway"),
    "process": ("process", "subprocess"),
    "real": ("real",),
}
TIER_MARKERS = frozenset(name for names in TIERS.values() for name in names)
# Which real part a tests/real test needs; only meaningful there, and each real test names one.
REAL_PARTS = frozenset({"claude", "claude_latest", "secret_service", "shells"})


def tier_of(parts: Sequence[str]) -> str | None:
    """The tier folder of a test file, given its path parts relative to tests/."""
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def tier_problem(parts: Sequence[str], markers: Iterable[str]) -> str | None:
    """Why a test's own markers disagree with its folder, or None when they agree."""
    where = "/".join(parts)
    tier = tier_of(parts)
    if tier is None:
        return f"{where}: a test file lives in a tier folder ({', '.join(TIERS)})"
    names = set(markers)
    wrong = sorted((names & TIER_MARKERS) - set(TIERS[tier]))
    if wrong:
        return f"{where}: marked {', '.join(wrong)} but the folder says {tier}"
    parts_named = names & REAL_PARTS
    if tier != "real" and parts_named:
        return f"{where}: needs {', '.join(sorted(parts_named))}, so it belongs in tests/real"
    if tier == "real" and not parts_named:
        return f"{where}: a real test names the part it needs ({', '.join(sorted(REAL_PARTS))})"
    return None
