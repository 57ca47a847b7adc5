"""Apply then clear gives the original bytes, over thousands of generated settings documents."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwrap.claude.env import MANAGED_VARIABLES, profile_env
from ccwrap.profiles.store import Profile
from ccwrap.settings.ownership import HELPER, Ownership, apply, clear
from tests.conftest import in_ci

# 5,000 round trips under CI (1,000 locally) as SHARES tests of an equal share each: one test
# of 5,000 took 108-113 s against the 120 s pytest timeout; a share of 1,000 takes a fifth.
ROUND_TRIPS = 5000 if in_ci() else 1000
SHARES = 5
WHITESPACE = ["", " ", "  ", "\n", "\n  ", "\t", "\r\n", " \n\t "]

text = st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
env_values = st.dictionaries(
    st.sampled_from([*MANAGED_VARIABLES[:3], "MY_VAR", "HTTPS_PROXY", "ÜNICODE_é"]) | text,
    text | st.integers(0, 9),
    max_size=5,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A JSON object serialised with random (but valid) formatting."""
    top: dict[str, Any] = draw(
        st.dictionaries(text.filter(lambda k: k not in ("env",)), values, max_size=6)
    )
    if draw(st.booleans()):
        env = draw(env_values)
        items = list(top.items())
        items.insert(draw(st.integers(0, len(items))), ("env", env))
        top = dict(items)
    if draw(st.booleans()):
        top["apiKeyHelper"] = draw(text)
    style = draw(st.sampled_from(["json", "random"]))
    if style == "json":
        indent = draw(st.sampled_from([None, 0, 2, 4, "\t", " "]))
        ascii_only = draw(st.booleans())
        separators = draw(st.sampled_from([None, (",", ":"), (", ", ": "), (" ,", " : ")]))
        out = json.dumps(top, indent=indent, ensure_ascii=ascii_only, separators=separators)
        if draw(st.booleans()):
            out = out.replace("\n", "\r\n")
    else:
        rng = random.Random(draw(st.integers(0, 2**32)))
        out = _random_layout(top, rng)
    return out + draw(st.sampled_from(["", "\n", "\r\n", "\n\n", "  "]))


def _random_layout(value: Any, rng: random.Random) -> str:
    def ws() -> str:
        return rng.choice(WHITESPACE)

    if isinstance(value, dict):
        if not value:
            return "{" + ws() + "}"
        members = [
            ws()
            + json.dumps(k, ensure_ascii=rng.random() < 0.5)
            + ws()
            + ":"
            + ws()
            + _random_layout(v, rng)
            + ws()
            for k, v in value.items()
        ]
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + _random_layout(v, rng) + ws() for v in value) + ws() + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


profiles = st.builds(
    Profile,
    name=st.just("work"),
    base_url=st.sampled_from(["https://gw.example.com", "http://127.0.0.1:9/ä"]),
    auth=st.sampled_from(["bearer", "x-api-key", "none"]),
    model=st.none() | text,
    cache_1h=st.booleans(),
    attribution_header=st.booleans(),
    env=st.dictionaries(st.sampled_from(["MY_VAR", "X_Ü", "HTTPS_PROXY"]), text, max_size=2),
)


def desired_for(profile: Profile, helper: bool) -> dict[tuple[str, ...], Any]:
    desired: dict[tuple[str, ...], Any] = {("env", k): v for k, v in profile_env(profile).items()}
    if helper:
        desired[HELPER] = "'/opt/cc wrap/bin/ccwrap' key work"
    return desired


def _outside(data: dict[str, Any], desired: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    rest = {k: v for k, v in data.items() if k not in ("env", "apiKeyHelper")}
    env = {k: v for k, v in data.get("env", {}).items() if ("env", k) not in desired}
    return {**rest, "env": env}


@pytest.mark.slow
@pytest.mark.parametrize("share", range(SHARES))
@settings(
    max_examples=ROUND_TRIPS // SHARES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(document=documents(), first=profiles, second=profiles, helper=st.booleans())
def test_apply_then_clear_gives_the_original_bytes(
    share: int, document: str, first: Profile, second: Profile, helper: bool
) -> None:
    original = json.loads(document)
    desired = desired_for(first, helper)
    applied = apply(document, desired, Ownership())
    assert applied.text is not None
    after = json.loads(applied.text)
    # ccwrap's keys hold exactly the profile's values; everything else is as it was.
    assert {k: after["env"][k] for _, k in (s for s in desired if s[0] == "env")} == {
        s[1]: v for s, v in desired.items() if s[0] == "env"
    }
    if helper:
        assert after["apiKeyHelper"] == desired[HELPER]
    assert _outside(after, desired) == _outside({"env": {}, **original}, desired)
    assert clear(applied.text, applied.ownership).text == document
    # Re-applying another profile over the first one and clearing also restores the bytes.
    again = apply(applied.text, desired_for(second, not helper), applied.ownership)
    assert clear(again.text, again.ownership).text == document


FILE_ROUND_TRIPS = 200


@pytest.mark.slow
@settings(
    max_examples=FILE_ROUND_TRIPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(document=documents(), profile=profiles)
def test_through_the_writer_apply_clear_and_restore_give_the_original_bytes(
    tmp_path_factory: pytest.TempPathFactory, document: str, profile: Profile
) -> None:
    """The same property through real files: backups, records, atomic replace, --force."""
    from ccwrap.context import Context
    from ccwrap.settings.writer import SettingsWriter, desired_settings

    root = tmp_path_factory.mktemp("doc")
    ctx = Context(environ={"CCWRAP_HOME": str(root / "cc")}, cwd=root, home=root / "home")
    path = ctx.claude_config_dir / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(document.encode())
    writer = SettingsWriter(ctx, "user")
    writer.apply(desired_settings(profile, "user"), profile="work", approved=True)
    writer.clear()
    assert path.read_bytes() == document.encode()
    writer.apply(desired_settings(profile, "user"), approved=True)
    writer.restore()
    assert path.read_bytes() == document.encode()
