"""SIGKILL a settings writer at random moments: the file is always the old or the new version,
never partial; ccwrap's record agrees with the file; stale temporary files go at the next run."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from ccwrap import fsutil
from ccwrap.context import Context
from ccwrap.profiles.store import Profile
from ccwrap.settings.ownership import Ownership, apply
from ccwrap.settings.writer import SettingsWriter, desired_settings

KILLS = 250
ORIGINAL = '{\n  "permissions": {"allow": ["Read"]},\n  "env": {"MINE": "ü"},\n  "x": [1, 2]\n}\n'
A = Profile(name="a", base_url="https://a.example", model="model-a", cache_1h=True)
B = Profile(name="b", base_url="https://b.example", auth="x-api-key", headers={"X-T": "1"})


def writer_loop(ctx: Context, order: tuple[Profile, Profile]) -> None:
    """The child: clear, then apply one profile / clear / apply the other / clear, forever."""
    writer = SettingsWriter(ctx, "user")
    writer.clear()
    while True:
        for profile in order:
            writer.apply(desired_settings(profile, "user"), profile=profile.name)
            writer.clear()


def temp_files(*folders: Path) -> list[Path]:
    return [p for f in folders if f.is_dir() for p in f.rglob(f"{fsutil.TEMP_PREFIX}*")]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_at_random_moments_never_leaves_a_partial_file() -> None:
    ctx = Context.from_os()
    path = ctx.claude_config_dir / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(ORIGINAL)
    versions = {ORIGINAL.encode(): "old"}
    for profile in (A, B):
        text = apply(ORIGINAL, desired_settings(profile, "user"), Ownership()).text
        assert text is not None
        versions[text.encode()] = profile.name
    folders = (path.parent, ctx.paths.state_dir)
    rng = random.Random(20261122)
    outcomes = {"old": 0, "a": 0, "b": 0, "temp files left": 0}
    for _ in range(KILLS):
        order = (A, B) if rng.random() < 0.5 else (B, A)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                writer_loop(ctx, order)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0, 0.04))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        data = path.read_bytes()
        assert data in versions, f"partial or unknown content after a kill: {data!r}"
        json.loads(data)
        outcome = versions[data]
        outcomes[outcome] += 1
        # ccwrap's record agrees with the file (a write recorded but not done is rolled back).
        owned = SettingsWriter(ctx, "user").state().ownership
        assert owned.empty == (outcome == "old")
        if temp_files(*folders):
            outcomes["temp files left"] += 1
        SettingsWriter(ctx, "user").preview_clear()  # the next run sweeps them
        assert temp_files(*folders) == []
    print(f"\n{KILLS} kills: {outcomes}")
    assert outcomes["a"] and outcomes["b"] and outcomes["old"]
    SettingsWriter(ctx, "user").clear()
    assert path.read_text() == ORIGINAL
