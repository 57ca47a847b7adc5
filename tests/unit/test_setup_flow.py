"""The wizard's logic, driven by a scripted Asker (no terminal)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest

from ccwrap.context import Context
from ccwrap.doctor.runner import setup_check
from ccwrap.errors import ConfigError, KeyringUnavailable, UsageError
from ccwrap.keys.sources import SecretStore
from ccwrap.profiles.ops import ProfileChanges
from ccwrap.profiles.store import Profile, ProfileStore
from ccwrap.profiles.wizard import (
    CHECK_PASSED,
    NOTE_ATTRIBUTION,
    NOTE_CACHE,
    NOTE_DISCOVERY,
    PLACEHOLDER_KEY,
    CheckProblem,
    CheckResult,
    SetupRequest,
    SetupWizard,
    check_secret,
    looks_like_url,
    name_from_url,
)
from tests.support.keyrings import MemoryKeyring

KEY = "sk-wizard-secret-0123456789"


class Script:
    """Answers in order; each names a fragment of the question it expects."""

    def __init__(self, *answers: tuple[str, Any]) -> None:
        self.answers = list(answers)
        self.notes: list[str] = []
        self.asked: list[str] = []

    def _next(self, question: str, default: Any = None) -> Any:
        assert self.answers, f"unexpected question: {question!r}"
        fragment, answer = self.answers.pop(0)
        assert fragment in question, f"expected a question about {fragment!r}, got {question!r}"
        self.asked.append(question)
        if isinstance(answer, BaseException):
            raise answer
        return default if answer is ... else answer

    def note(self, text: str) -> None:
        self.notes.append(text)

    def text(self, question: str, default: str | None = None) -> str:
        return str(self._next(question, default))

    def secret(self, question: str) -> str:
        return str(self._next(question))

    def choose(
        self,
        question: str,
        choices: Sequence[tuple[str, str]],
        default: str,
        *,
        other: Callable[[str], bool] | None = None,
    ) -> str:
        answer = self._next(question, default)
        assert answer in [c for c, _ in choices] or (other is not None and other(answer))
        return str(answer)

    def confirm(self, question: str, default: bool) -> bool:
        return bool(self._next(question, default))


@pytest.fixture
def ctx() -> Context:
    return Context.from_os()


@pytest.fixture
def store(ctx: Context) -> ProfileStore:
    return ProfileStore(ctx.paths.config_file)


@pytest.fixture
def secrets(ctx: Context, memory_keyring: MemoryKeyring) -> SecretStore:
    return SecretStore(ctx)


def wizard(store: ProfileStore, secrets: SecretStore, script: Script, **kw: Any) -> SetupWizard:
    kw.setdefault("checker", partial(setup_check, secrets))
    return SetupWizard(store, secrets, script, **kw)


# Every question after the key's home, each answered with its default.
DEFAULT_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("How does the gateway take the key", ...),
    ("Model", ...),
    ("Small/fast model", ...),
    ("Subagent model", ...),
    ("1-hour prompt caching", ...),
    ("attribution header", ...),
    ("discover", ...),
    ("Custom header", ...),
)


def stored_keys() -> dict[tuple[str, str], str]:
    return dict(MemoryKeyring.store)


def test_interactive_preset_walkthrough(store: ProfileStore, secrets: SecretStore) -> None:
    script = Script(
        ("Gateway", "aiohub"),
        ("Profile name", ...),  # default: the preset's id
        ("How does the gateway take the key", ...),  # default: the preset's mode
        ("Model", "claude-sonnet-4-5"),
        ("Small/fast model", ""),
        ("Subagent model", "claude-haiku-4-5"),
        ("1-hour prompt caching", ...),  # the preset recommends it
        ("attribution header", ...),  # the preset recommends turning it off
        ("discover", True),
        ("Custom header", "X-Team: a"),
        ("Custom header", "bad header"),
        ("Custom header", ""),
        ("API key", KEY),
    )
    result = wizard(store, secrets, script).run(SetupRequest(check=False))
    assert not script.answers
    profile = store.get("aiohub")
    assert profile.base_url == "https://api.aiohub.org"
    assert profile.auth == "bearer"
    assert profile.model == "claude-sonnet-4-5"
    assert profile.haiku_model is None
    assert profile.subagent_model == "claude-haiku-4-5"
    assert (profile.cache_1h, profile.attribution_header, profile.gateway_discovery) == (
        True,
        False,
        True,
    )
    assert profile.headers == {"X-Team": "a"}
    assert profile.preset == "aiohub"
    assert stored_keys() == {("ccwrap", "aiohub"): KEY}
    assert result.created and result.key_written and result.made_default
    assert store.load().default == "aiohub"
    for note in (NOTE_CACHE, NOTE_ATTRIBUTION, NOTE_DISCOVERY):
        assert note in script.notes
    assert any("2x" in n for n in script.notes)
    assert any("2.1.129" in n for n in script.notes)
    assert any("invalid header" in n for n in script.notes)


def test_preset_notes_are_shown_and_unconfirmed_ones_say_so(
    store: ProfileStore, secrets: SecretStore
) -> None:
    script = Script(
        ("Gateway", "zhipu"),
        ("Profile name", "glm"),
        ("key", ...),
        ("Model", ""),
        ("Small/fast", ""),
        ("Subagent", ""),
        ("caching", False),
        ("attribution", False),
        ("discover", False),
        ("header", ""),
        ("API key", KEY),
    )
    result = wizard(store, secrets, script).run(SetupRequest(check=False))
    assert any("API_TIMEOUT_MS" in n for n in script.notes)
    assert any("unconfirmed" in n for n in result.notes)
    assert store.get("glm").env == {"API_TIMEOUT_MS": "3000000"}


@pytest.mark.parametrize("stop_at", range(12))
def test_ctrl_c_at_any_prompt_saves_nothing(
    store: ProfileStore, secrets: SecretStore, stop_at: int
) -> None:
    answers: list[tuple[str, Any]] = [
        ("Gateway", "url"),
        ("Base URL", "https://gw.example.com"),
        ("Profile name", "work"),
        ("key", "bearer"),
        ("Model", ""),
        ("Small/fast", ""),
        ("Subagent", ""),
        ("caching", True),
        ("attribution", True),
        ("discover", False),
        ("header", ""),
        ("API key", KEY),
    ]
    fragment, _ = answers[stop_at]
    answers[stop_at] = (fragment, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        wizard(store, secrets, Script(*answers[: stop_at + 1])).run(SetupRequest(check=False))
    assert store.names() == []
    assert stored_keys() == {}
    assert not store.path.exists()


def test_a_failed_save_rolls_the_new_key_back(
    store: ProfileStore, secrets: SecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_save(profile: Profile) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save", broken_save)
    request = SetupRequest(name="work", url="https://gw.example.com", secret=KEY, yes=True)
    request.check = False
    with pytest.raises(OSError, match="No space"):
        wizard(store, secrets, Script()).run(request)
    assert stored_keys() == {}


def test_a_failed_save_restores_the_previous_key(
    store: ProfileStore, secrets: SecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = wizard(store, secrets, Script())
    run.run(
        SetupRequest(name="work", url="https://gw.example.com", secret=KEY, yes=True, check=False)
    )
    monkeypatch.setattr(store, "save", lambda profile: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        wizard(store, secrets, Script()).run(
            SetupRequest(name="work", secret="sk-new-key-0000000000", yes=True, check=False)
        )
    assert stored_keys() == {("ccwrap", "work"): KEY}


def test_existing_profile_is_edited_and_the_key_kept_unless_confirmed(
    store: ProfileStore, secrets: SecretStore
) -> None:
    wizard(store, secrets, Script()).run(
        SetupRequest(name="work", url="https://gw.example.com", secret=KEY, yes=True, check=False)
    )
    keep = Script(
        ("Gateway", ...),  # default: keep the current URL
        ("key", ...),
        ("Model", "m2"),
        ("Small/fast", ...),
        ("Subagent", ...),
        ("caching", ...),
        ("attribution", ...),
        ("discover", ...),
        ("header", ""),
        ("Replace the stored key", False),
    )
    result = wizard(store, secrets, keep).run(SetupRequest(name="work", check=False))
    assert not result.created and not result.key_written
    assert store.get("work").model == "m2"
    assert store.get("work").base_url == "https://gw.example.com"
    assert stored_keys() == {("ccwrap", "work"): KEY}

    replace_key = Script(
        ("Gateway", ...),
        ("key", ...),
        ("Model", ...),
        ("Small/fast", ...),
        ("Subagent", ...),
        ("caching", ...),
        ("attribution", ...),
        ("discover", ...),
        ("header", ""),
        ("Replace the stored key", True),
        ("API key", "sk-replaced-0123456789"),
    )
    wizard(store, secrets, replace_key).run(SetupRequest(name="work", check=False))
    assert stored_keys() == {("ccwrap", "work"): "sk-replaced-0123456789"}
    assert store.get("work").model == "m2"


def test_v1_suffix_is_confirmed_interactively(store: ProfileStore, secrets: SecretStore) -> None:
    script = Script(
        ("Gateway", "url"),
        ("Base URL", "https://gw.example.com/v1"),
        ("Use https://gw.example.com instead", True),
        ("Profile name", ...),
        ("key", ...),
        ("Model", ""),
        ("Small/fast", ""),
        ("Subagent", ""),
        ("caching", False),
        ("attribution", False),
        ("discover", False),
        ("header", ""),
        ("API key", KEY),
    )
    wizard(store, secrets, script).run(SetupRequest(check=False))
    assert store.get("example").base_url == "https://gw.example.com"
    assert any("/v1/v1/messages" in n for n in script.notes)


def test_invalid_url_is_asked_again(store: ProfileStore, secrets: SecretStore) -> None:
    script = Script(
        ("Gateway", "url"),
        ("Base URL", "gw.example.com"),  # no scheme: explained, asked again
        ("Base URL", "https://gw.example.com"),
    )
    # Only the URL questions are scripted: flags answer the rest.
    flags = ProfileChanges(
        auth="bearer", model="", haiku_model="", subagent_model="", cache_1h=False,
        attribution_header=True, gateway_discovery=False, headers={"X-A": "1"},
    )  # fmt: skip
    wizard(store, secrets, script).run(
        SetupRequest(name="w", secret=KEY, changes=flags, check=False)
    )
    assert not script.answers
    assert store.get("w").base_url == "https://gw.example.com"
    assert any("cannot be parsed as a URL" in n for n in script.notes)


def test_noninteractive_fixes_and_says_so(store: ProfileStore, secrets: SecretStore) -> None:
    result = wizard(store, secrets, Script()).run(
        SetupRequest(
            name="w", url="'https://GW.example.com/v1/messages/'", secret=KEY, yes=True, check=False
        )
    )
    assert result.profile.base_url == "https://gw.example.com"
    assert any("/v1/messages" in n for n in result.notes)


def test_noninteractive_needs_a_url_and_a_key(store: ProfileStore, secrets: SecretStore) -> None:
    with pytest.raises(UsageError, match="no gateway"):
        wizard(store, secrets, Script()).run(SetupRequest(name="w", yes=True, check=False))
    with pytest.raises(UsageError, match="no key"):
        wizard(store, secrets, Script()).run(
            SetupRequest(name="w", url="https://gw.example.com", yes=True, check=False)
        )
    assert store.names() == []


def test_template_preset_needs_the_filled_url_without_a_terminal(
    store: ProfileStore, secrets: SecretStore
) -> None:
    with pytest.raises(UsageError, match="template"):
        wizard(store, secrets, Script()).run(
            SetupRequest(preset="cloudflare", secret=KEY, yes=True, check=False)
        )
    result = wizard(store, secrets, Script()).run(
        SetupRequest(
            preset="cloudflare",
            url="https://gateway.ai.cloudflare.com/v1/acc/gw/anthropic",
            secret=KEY,
            yes=True,
            check=False,
        )
    )
    assert result.profile.name == "cloudflare"
    assert result.profile.auth == "x-api-key"
    assert result.profile.base_url.endswith("/v1/acc/gw/anthropic")


def test_cloudflare_template_is_asked_interactively(
    store: ProfileStore, secrets: SecretStore
) -> None:
    script = Script(
        ("Gateway", "cloudflare"),
        ("account id", "acc1"),
        ("gateway id", "gw1"),
        ("Profile name", "cf"),
    )
    request = SetupRequest(secret=KEY, check=False)
    request.changes = ProfileChanges(
        auth="x-api-key", model="", haiku_model="", subagent_model="", cache_1h=False,
        attribution_header=True, gateway_discovery=False, headers={"X-A": "1"},
    )  # fmt: skip
    wizard(store, secrets, script).run(request)
    assert store.get("cf").base_url == "https://gateway.ai.cloudflare.com/v1/acc1/gw1/anthropic"


def test_key_optional_preset_gets_a_placeholder(store: ProfileStore, secrets: SecretStore) -> None:
    wizard(store, secrets, Script()).run(SetupRequest(preset="ollama", yes=True, check=False))
    assert stored_keys() == {("ccwrap", "ollama"): PLACEHOLDER_KEY}


def test_auth_none_stores_no_key(store: ProfileStore, secrets: SecretStore) -> None:
    result = wizard(store, secrets, Script()).run(
        SetupRequest(preset="llamacpp", yes=True, check=False)
    )
    assert result.profile.auth == "none"
    assert stored_keys() == {}


def test_env_key_source_stores_nothing_and_refuses_stdin(
    store: ProfileStore, secrets: SecretStore
) -> None:
    base: dict[str, Any] = {
        "name": "w",
        "url": "https://gw.example.com",
        "yes": True,
        "check": False,
    }
    with pytest.raises(UsageError, match="cannot store"):
        wizard(store, secrets, Script()).run(
            SetupRequest(key_source="env:GW_KEY", secret=KEY, **base)
        )
    result = wizard(store, secrets, Script()).run(SetupRequest(key_source="env:GW_KEY", **base))
    assert result.profile.key == "env:GW_KEY"
    assert not result.key_written
    assert stored_keys() == {}


def test_insecure_storage_writes_a_private_file_and_warns(
    store: ProfileStore, secrets: SecretStore, ctx: Context
) -> None:
    result = wizard(store, secrets, Script()).run(
        SetupRequest(
            name="w",
            url="https://gw.example.com",
            secret=KEY,
            insecure_storage=True,
            yes=True,
            check=False,
        )
    )
    path = ctx.paths.keys_dir / "w.key"
    assert result.profile.key == f"file:{path}"
    assert path.read_text() == KEY
    assert path.stat().st_mode & 0o777 == 0o600
    assert any(str(path) in w and "plain text" in w for w in result.warnings)
    assert stored_keys() == {}


def test_live_check_findings_are_reported_and_a_failure_can_stop_the_save(
    store: ProfileStore, secrets: SecretStore
) -> None:
    seen: list[tuple[str, str | None]] = []

    def failing(profile: Profile, key: str | None) -> CheckResult:
        seen.append((profile.base_url, key))
        return CheckResult(
            [
                CheckProblem("warn", "model available", "not listed"),
                CheckProblem(
                    "fail", "key accepted", "the gateway refused the key", "store the key"
                ),
            ]
        )

    request = SetupRequest(name="w", url="https://gw.example.com", secret=KEY, yes=True)
    result = wizard(store, secrets, Script(), checker=failing).run(request)
    assert seen == [("https://gw.example.com", KEY)]
    assert any("live check failed" in w for w in result.warnings)
    assert store.names() == ["w"]

    interactive = Script(
        ("Gateway", ...), ("key", ...), ("Model", ...), ("Small/fast", ...), ("Subagent", ...),
        ("caching", ...), ("attribution", ...), ("discover", ...), ("header", ""),
        ("Replace the stored key", True), ("API key", "sk-other-key-000000000"),
        ("Save the profile anyway", False),
    )  # fmt: skip
    with pytest.raises(Exception, match="nothing saved"):
        wizard(store, secrets, interactive, checker=failing).run(SetupRequest(name="w"))
    assert stored_keys() == {("ccwrap", "w"): KEY}
    assert interactive.notes[-3:] == [
        "! model available: not listed",
        "✗ key accepted: the gateway refused the key",
        "  fix: store the key",
    ]


def test_a_passing_check_says_so_and_a_warning_does_not_fail_it(
    store: ProfileStore, secrets: SecretStore
) -> None:
    def passing(profile: Profile, key: str | None) -> CheckResult:
        return CheckResult([])

    def warning(profile: Profile, key: str | None) -> CheckResult:
        return CheckResult([CheckProblem("warn", "model available")])

    request = SetupRequest(name="w", url="https://gw.example.com", secret=KEY, yes=True)
    script = Script()
    result = wizard(store, secrets, script, checker=passing).run(request)
    assert script.notes[-1] == f"✓ {CHECK_PASSED}"
    assert result.check is not None and result.check.ok
    script = Script()
    result = wizard(store, secrets, script, checker=warning).run(request)
    assert script.notes[-1] == "! model available"
    assert not any("live check failed" in w for w in result.warnings)


def test_default_is_set_for_the_first_profile_only(
    store: ProfileStore, secrets: SecretStore
) -> None:
    base: dict[str, Any] = {"secret": KEY, "yes": True, "check": False}
    wizard(store, secrets, Script()).run(
        SetupRequest(name="a", url="https://a.example.com", **base)
    )
    wizard(store, secrets, Script()).run(
        SetupRequest(name="b", url="https://b.example.com", **base)
    )
    assert store.load().default == "a"
    wizard(store, secrets, Script()).run(
        SetupRequest(name="c", url="https://c.example.com", make_default=True, **base)
    )
    assert store.load().default == "c"


@pytest.mark.parametrize("bad", ["", "sk key with spaces", "Bearer sk-x", "sk-é", "x" * 16_385])
def test_bad_keys_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_secret(bad)
    assert not bad.strip() or bad not in caught.value.message


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://127.0.0.1:18765", "local-18765"),
        ("127.0.0.1:18765", "local-18765"),
        ("http://localhost:4000/v1", "local-4000"),
        ("http://[::1]:8080", "local-8080"),
        ("http://localhost", "local"),
        ("http://10.0.0.5:8080", "host-10-0-0-5-8080"),
        ("https://openrouter.ai/api", "openrouter"),
        ("https://gateway.ai.cloudflare.com/v1/a/b/anthropic", "cloudflare"),
        ("https://llm-gw:8443", "llm-gw"),
        (None, "default"),
    ],
)
def test_the_suggested_name_comes_from_the_host(url: str | None, name: str) -> None:
    assert name_from_url(url) == name


def test_a_suggested_name_that_exists_gets_a_number(
    store: ProfileStore, secrets: SecretStore
) -> None:
    store.save(Profile("local-18765", "http://127.0.0.1:18765"))
    script = Script(
        ("Gateway", "http://127.0.0.1:18765"),
        ("Profile name", ...),  # the default
        *DEFAULT_OPTIONS,
        ("API key", KEY),
    )
    result = wizard(store, secrets, script).run(SetupRequest(check=False))
    assert result.profile.name == "local-18765-2"
    assert "Profile name" in script.asked[1]


@pytest.mark.parametrize("answer", ["gw.example.com", "127.0.0.1:18765", "https://x"])
def test_a_url_at_the_gateway_question_is_a_url(answer: str) -> None:
    assert looks_like_url(answer)


@pytest.mark.parametrize("answer", ["", "7", "litellm", "no such preset"])
def test_a_name_at_the_gateway_question_is_not_a_url(answer: str) -> None:
    assert not looks_like_url(answer)


def test_without_a_keyring_the_key_can_come_from_a_command(
    store: ProfileStore, ctx: Context
) -> None:
    secrets = SecretStore(ctx)  # the autouse fixture's keyring: keyring's "fail" backend
    script = Script(
        ("Gateway", "https://gw.example.com"),
        ("Profile name", "w"),
        ("How does the gateway take the key?", "bearer"),
        ("Where should the key live?", "cmd"),
        ("Command that prints the key", "pass show gw/w"),
        *DEFAULT_OPTIONS[1:],
    )
    result = wizard(store, secrets, script).run(SetupRequest(check=False))
    assert not script.answers  # no key question: ccwrap only reads it
    assert store.get("w").key == "cmd:pass show gw/w"
    assert not result.key_written
    assert any("no OS keyring" in note for note in script.notes)


def test_without_a_keyring_yes_fails_before_any_question_or_check(
    store: ProfileStore, ctx: Context
) -> None:
    checked: list[Profile] = []

    def checker(profile: Profile, key: str | None) -> CheckResult:
        checked.append(profile)
        return CheckResult([])

    wizard_ = SetupWizard(store, SecretStore(ctx), Script(), checker=checker)
    with pytest.raises(KeyringUnavailable) as raised:
        wizard_.run(SetupRequest(name="w", url="https://gw.example.com", secret=KEY, yes=True))
    assert "--insecure-storage" in (raised.value.hint or "")
    assert checked == []
    assert store.names() == []


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses to store (locked, nobody to unlock it)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        import keyring.errors

        raise keyring.errors.KeyringLocked("locked")


def test_a_keyring_that_refuses_the_key_at_the_end_keeps_every_answer(
    store: ProfileStore, ctx: Context
) -> None:
    secrets = SecretStore(ctx, keyring_backend=LockedKeyring())
    script = Script(
        ("Gateway", "https://gw.example.com"),
        ("Profile name", "w"),
        *DEFAULT_OPTIONS[:1],
        ("Model", "glm-4.6"),
        *DEFAULT_OPTIONS[2:],
        ("API key", KEY),
        ("Where should the key live?", "file"),
    )
    result = wizard(store, secrets, script).run(SetupRequest(check=False))
    assert not script.answers
    profile = store.get("w")
    assert profile.model == "glm-4.6"  # the answers survived
    assert profile.key.startswith("file:")
    assert result.key_written
    assert secrets.read("w", profile.key) == KEY
    assert any("locked" in note for note in script.notes)
