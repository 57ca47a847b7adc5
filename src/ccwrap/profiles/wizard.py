"""``ccwrap setup``: the wizard's questions and the save, testable without a terminal.

The questions go through an injected :class:`Asker` (the CLI's prompts, or a script in tests);
with ``--yes`` nothing is asked and every answer comes from a flag, the existing profile, the
preset or a default. Nothing is written until every question has been answered, so Ctrl-C at any
prompt leaves no partial profile and no stray key; the key is written first and rolled back if the
profile cannot be saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from ccwrap.claude.env import parse_header
from ccwrap.claude.urls import is_loopback, normalize_base_url
from ccwrap.context import is_variable_name
from ccwrap.errors import CcwrapError, ConfigError, InvalidURL, KeyStoreError, UsageError
from ccwrap.keys.sources import (
    KeySource,
    SecretStore,
    clean_key,
    default_key_file,
    key_problem,
)
from ccwrap.profiles import presets
from ccwrap.profiles.model import Profile, validate_name
from ccwrap.profiles.ops import ProfileChanges, apply_changes
from ccwrap.profiles.presets import Preset
from ccwrap.profiles.store import ProfileStore

# What a gateway that ignores the key gets (docs/gateways.md: Ollama takes any value).
PLACEHOLDER_KEY = "ollama"
CHECK_PASSED = (
    "the gateway answers; the path and the key were accepted (doctor's free probes spend nothing)"
)
CUSTOM_URL = "url"
KEEP_URL = "keep"

NOTE_CACHE = "1-hour cache writes cost 2x the base input price; cache reads are cheaper"
NOTE_ATTRIBUTION = (
    "without Claude Code's attribution block the request body is stable, "
    "which improves the gateway's cache hit rate"
)
FILE_WARNING = (
    "the key will lie in plain text in a file only you can read (mode 0600); any program running "
    "as you can read it"
)
# Where a key can live when there is no OS keyring (the setup wizard offers these).
KEY_HOMES: tuple[tuple[str, str], ...] = (
    ("env", "an environment variable you export; ccwrap reads it"),
    ("cmd", "a password-manager command that prints it (pass, op, bw, secret-tool…)"),
    ("file", "a plain-text file, mode 0600 (any program running as you can read it)"),
)
NOTE_DISCOVERY = (
    "needs Claude Code 2.1.129 or newer, and adds only model ids that start with "
    "'claude' or 'anthropic'"
)


class Asker(Protocol):
    """How the wizard talks to a person; the CLI implements it with typer/rich prompts."""

    def note(self, text: str) -> None: ...
    def text(self, question: str, default: str | None = None) -> str: ...
    def secret(self, question: str) -> str: ...
    def choose(
        self,
        question: str,
        choices: Sequence[tuple[str, str]],
        default: str,
        *,
        other: Callable[[str], bool] | None = None,
    ) -> str:
        """A choice's id (by number or name); an answer ``other`` accepts is returned as typed."""
        ...

    def confirm(self, question: str, default: bool) -> bool: ...


@dataclass
class SetupRequest:
    """Everything the flags say; None means "ask" (or, with ``yes``, "use the default")."""

    name: str | None = None
    preset: str | None = None
    url: str | None = None
    secret: str | None = field(default=None, repr=False)  # from --key-stdin
    key_source: str | None = None
    insecure_storage: bool = False
    changes: ProfileChanges = field(default_factory=ProfileChanges)
    make_default: bool = False
    check: bool = True
    yes: bool = False


@dataclass(frozen=True)
class CheckProblem:
    """A check of doctor's that failed or warned, as setup shows it."""

    status: Literal["fail", "warn"]
    title: str
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class CheckResult:
    problems: list[CheckProblem]  # empty: every check passed

    @property
    def ok(self) -> bool:
        return not any(problem.status == "fail" for problem in self.problems)


@dataclass
class SetupResult:
    profile: Profile
    created: bool
    key_written: bool
    made_default: bool
    check: CheckResult | None
    notes: list[str]
    warnings: list[str]


Checker = Callable[[Profile, "str | None"], CheckResult]


class SetupWizard:
    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        ui: Asker,
        *,
        checker: Checker,
    ) -> None:
        """``checker`` is the live check (``ccwrap.doctor.runner.setup_check``): passed in, since
        profiles sit below doctor in the layers."""
        self.store = store
        self.secrets = secrets
        self.ui = ui
        self.checker = checker
        self.notes: list[str] = []
        self.warnings: list[str] = []

    # -- the questions, in order -----------------------------------------------------------------

    def run(self, request: SetupRequest) -> SetupResult:
        self.interactive = not request.yes
        existing = self._existing(request.name)
        preset, raw_url = self._endpoint(request, existing)
        url = self._url(raw_url) if raw_url is not None else None
        name = request.name or self._name(preset, url)
        if existing is None:
            existing = self._existing(name)
        base = existing or Profile(name=name, base_url="https://placeholder.invalid")
        if preset is not None:
            base = self._preset_defaults(preset, base)
        flags = request.changes
        changes = flags.copy()
        changes.set("base_url", url)
        self._auth(changes, base)
        # Where the key will live is settled before any question about the key (or anything
        # after it), so that a machine without a keyring never loses the answers.
        auth = changes.get("auth") or base.auth
        changes.set("key", self._key_source(request, name, existing, auth))
        self._models(changes, base)
        self._options(changes, base)
        self._headers(changes)
        profile = apply_changes(base, changes).profile
        secret = self._secret(request, profile, existing, preset)
        check = self._check(request, profile, secret)
        make_default = self._make_default(request, name)
        profile, key_written = self._commit(profile, secret, existing is not None, make_default)
        return SetupResult(
            profile=profile,
            created=existing is None,
            key_written=key_written,
            made_default=make_default,
            check=check,
            notes=self.notes,
            warnings=self.warnings,
        )

    def _existing(self, name: str | None) -> Profile | None:
        if name is None:
            return None
        validate_name(name)
        return self.store.get(name) if self.store.exists(name) else None

    def _endpoint(
        self, request: SetupRequest, existing: Profile | None
    ) -> tuple[Preset | None, str | None]:
        """The preset (if any) and the URL as typed; None keeps an existing profile's URL."""
        preset = presets.get(request.preset) if request.preset else None
        if request.url is not None:
            return preset, request.url
        if preset is not None:
            return preset, self._template_url(preset)
        if not self.interactive:
            if existing is not None:
                return None, None
            raise UsageError(
                "no gateway given", hint="pass --url URL or --preset ID (ccwrap setup --help)"
            )
        choices = [(CUSTOM_URL, "type a base URL")]
        default = CUSTOM_URL
        if existing is not None:
            choices.insert(0, (KEEP_URL, f"keep {existing.base_url}"))
            default = KEEP_URL
        choices += [(p.id, f"{p.title}: {p.base_url}") for p in presets.PRESETS]
        picked = self.ui.choose("Gateway", choices, default, other=looks_like_url)
        if picked == KEEP_URL:
            return None, None
        if picked not in {choice_id for choice_id, _ in choices}:
            return None, picked  # a URL typed at the question
        if picked == CUSTOM_URL:
            return None, self.ui.text("Base URL", existing.base_url if existing else None)
        preset = presets.get(picked)
        if preset.description:
            self.ui.note(f"{preset.title}: {preset.description}")
        return preset, self._template_url(preset)

    def _template_url(self, preset: Preset) -> str:
        if not preset.fields:
            return preset.base_url
        if not self.interactive:
            raise UsageError(
                f"preset {preset.id!r} is a template: {preset.base_url}",
                hint="pass the filled-in URL with --url",
            )
        return preset.url({name: self.ui.text(name.replace("_", " ")) for name in preset.fields})

    def _name(self, preset: Preset | None, raw_url: str | None) -> str:
        default = self._unused(preset.id if preset else name_from_url(raw_url))
        if not self.interactive:
            return validate_name(default)
        while True:
            try:
                return validate_name(self.ui.text("Profile name", default))
            except ConfigError as exc:
                self.ui.note(f"{exc.message} ({exc.hint})")

    def _unused(self, name: str) -> str:
        """``name``, or ``name-2``, ``name-3``… when a profile has it (a suggestion only: typing
        an existing name edits that profile)."""
        if not self.interactive:
            return name
        taken = set(self.store.names())
        candidates = (name, *(f"{name[:60]}-{n}" for n in range(2, 100)))
        return next((c for c in candidates if c not in taken), name)

    def _preset_defaults(self, preset: Preset, base: Profile) -> Profile:
        """The preset's recommendations as the answers' defaults (a flag still wins)."""
        if not preset.confirmed:
            self.notes.append(f"preset {preset.id}: {presets.UNCONFIRMED}")
        return replace(
            base,
            preset=preset.id,
            auth=preset.auth,
            cache_1h=base.cache_1h or preset.cache_1h,
            attribution_header=base.attribution_header and preset.attribution_header,
            env={**preset.env, **base.env},
            description=f"{preset.title}: {preset.description}".rstrip(": "),
        )

    def _url(self, raw: str) -> str:
        while True:
            try:
                normalized = normalize_base_url(raw)
            except InvalidURL as exc:
                if not self.interactive:
                    raise
                self.ui.note(f"{exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
                raw = self.ui.text("Base URL")
                continue
            if normalized.removed_suffix and self.interactive:
                self.ui.note(normalized.fixes[-1])
                if not self.ui.confirm(f"Use {normalized.url} instead?", True):
                    raw = self.ui.text("Base URL", raw)
                    continue
            self.notes += [f"fixed: {fix}" for fix in normalized.fixes]
            self.warnings += normalized.warnings
            return normalized.url

    def _key_source(
        self, request: SetupRequest, name: str, existing: Profile | None, auth: str
    ) -> str:
        if request.insecure_storage:
            if request.key_source and not request.key_source.startswith("file:"):
                raise UsageError("--insecure-storage and --key-source do not go together")
            spec = request.key_source or f"file:{default_key_file(self.secrets.ctx, name)}"
        else:
            spec = request.key_source or (existing.key if existing else "keyring")
        KeySource.parse(spec)
        if spec != "keyring" or auth == "none" or not self._stores_a_key(request, existing):
            return spec
        problem = self.secrets.keyring_problem()
        if problem is None:
            return spec
        if not self.interactive:
            raise problem  # before any work: nothing checked, nothing saved
        return self._key_home(name, problem)

    def _stores_a_key(self, request: SetupRequest, existing: Profile | None) -> bool:
        """Whether this run may write a key to the keyring (asked, or given with --key-stdin)."""
        if self.interactive or request.secret is not None:
            return True
        return existing is None or existing.key != "keyring" or existing.auth == "none"

    def _key_home(self, name: str, problem: KeyStoreError) -> str:
        """Without a keyring: an environment variable, a password-manager command or a file."""
        self.ui.note(f"{problem.message}; the key has to live somewhere else")
        picked = self.ui.choose("Where should the key live?", KEY_HOMES, "env")
        if picked == "env":
            while True:
                variable = self.ui.text(
                    "Environment variable that will hold the key", default_key_variable(name)
                ).strip()
                if is_variable_name(variable):
                    self.notes.append(f"export {variable} where you run claude through ccwrap")
                    return f"env:{variable}"
                self.ui.note("a variable name is letters, digits and _ (not first a digit)")
        if picked == "cmd":
            while True:
                command = self.ui.text(
                    "Command that prints the key (e.g. pass show gw/work, op read op://…)"
                ).strip()
                if command:
                    return f"cmd:{command}"
        self.ui.note(FILE_WARNING)
        return f"file:{default_key_file(self.secrets.ctx, name)}"

    def _auth(self, changes: ProfileChanges, profile: Profile) -> None:
        if not self.interactive or changes.get("auth") is not None:
            return
        choices = [
            ("bearer", "Authorization: Bearer (ANTHROPIC_AUTH_TOKEN)"),
            ("x-api-key", "x-api-key (ANTHROPIC_API_KEY)"),
            ("none", "no key"),
        ]
        changes.set(
            "auth", self.ui.choose("How does the gateway take the key?", choices, profile.auth)
        )

    def _models(self, changes: ProfileChanges, profile: Profile) -> None:
        if not self.interactive:
            return
        questions = [
            ("model", "Model (ANTHROPIC_MODEL; empty: Claude Code's default)"),
            ("haiku_model", "Small/fast model (ANTHROPIC_DEFAULT_HAIKU_MODEL; empty: default)"),
            ("subagent_model", "Subagent model (CLAUDE_CODE_SUBAGENT_MODEL; empty: default)"),
        ]
        for field_name, question in questions:
            if changes.get(field_name) is None:
                answer = self.ui.text(question, getattr(profile, field_name) or "")
                changes.set(field_name, answer)

    def _options(self, changes: ProfileChanges, profile: Profile) -> None:
        if not self.interactive:
            return
        if changes.get("cache_1h") is None:
            self.ui.note(NOTE_CACHE)
            changes.set("cache_1h", self.ui.confirm("Use 1-hour prompt caching?", profile.cache_1h))
        if changes.get("attribution_header") is None:
            self.ui.note(NOTE_ATTRIBUTION)
            off = self.ui.confirm(
                "Turn off Claude Code's attribution header?", not profile.attribution_header
            )
            changes.set("attribution_header", not off)
        if changes.get("gateway_discovery") is None:
            self.ui.note(NOTE_DISCOVERY)
            discover = self.ui.confirm(
                "Let Claude Code discover the gateway's models?", profile.gateway_discovery
            )
            changes.set("gateway_discovery", discover)

    def _headers(self, changes: ProfileChanges) -> None:
        if not self.interactive or changes.headers:
            return
        while line := self.ui.text("Custom header 'Name: value' (empty: done)", "").strip():
            try:
                name, value = parse_header(line)
            except ConfigError as exc:
                self.ui.note(f"{exc.message} ({exc.hint})")
                continue
            changes.headers[name] = value

    def _secret(
        self,
        request: SetupRequest,
        profile: Profile,
        existing: Profile | None,
        preset: Preset | None,
    ) -> str | None:
        """The key to store, or None to store nothing (kept, read elsewhere, or not needed)."""
        source = KeySource.parse(profile.key)
        storable = source.kind in ("keyring", "file")
        if profile.auth == "none":
            return None
        if not storable:
            if request.secret is not None:
                raise UsageError(
                    f"--key-stdin with the key source {source}: ccwrap cannot store a key there",
                    hint="drop --key-stdin; ccwrap reads the key from that source",
                )
            return None
        if request.secret is not None:
            return check_secret(request.secret)
        optional = preset is not None and preset.key_optional
        if existing is not None and existing.key == profile.key and existing.auth != "none":
            if not self.interactive or not self.ui.confirm("Replace the stored key?", False):
                return None
        elif not self.interactive:
            if optional:
                return PLACEHOLDER_KEY
            raise UsageError(
                "no key given",
                hint="pipe it in with --key-stdin, or use --key-source env:VAR / 'cmd:COMMAND'",
            )
        while True:
            typed = self.ui.secret("API key (hidden)").strip()
            if not typed and optional:
                return PLACEHOLDER_KEY
            try:
                return check_secret(typed)
            except ConfigError as exc:
                self.ui.note(exc.message)

    def _check(
        self, request: SetupRequest, profile: Profile, secret: str | None
    ) -> CheckResult | None:
        if not request.check:
            return None
        key = secret
        if key is None and profile.auth != "none":
            try:
                key = self.secrets.read(profile.name, profile.key)
            except KeyStoreError as exc:
                self.warnings.append(f"the live check runs without a key: {exc.message}")
        result = self.checker(profile, key)
        if not result.problems:
            self.ui.note(f"✓ {CHECK_PASSED}")
        for problem in result.problems:
            mark = "✗" if problem.status == "fail" else "!"
            detail = f": {problem.detail}" if problem.detail else ""
            self.ui.note(f"{mark} {problem.title}{detail}")
            if problem.fix:
                self.ui.note(f"  fix: {problem.fix}")
        if not result.ok:
            if self.interactive and not self.ui.confirm("Save the profile anyway?", True):
                raise CcwrapError("nothing saved", hint="ccwrap doctor --url URL explains more")
            self.warnings.append("the live check failed; ccwrap doctor explains more")
        return result

    def _make_default(self, request: SetupRequest, name: str) -> bool:
        config = self.store.load()
        if request.make_default or config.default is None:
            return config.default != name
        if config.default == name or not self.interactive:
            return False
        return self.ui.confirm(f"Make {name!r} the default profile?", False)

    # -- the save --------------------------------------------------------------------------------

    def _commit(
        self, profile: Profile, secret: str | None, editing: bool, make_default: bool
    ) -> tuple[Profile, bool]:
        previous: str | None = None
        if secret is not None:
            if editing:
                previous = self._read_quietly(profile)
            profile, secret = self._write_key(profile, secret)
        if secret is not None and profile.key.startswith("file:"):
            self.warnings.append(
                f"the key lies in plain text in {profile.key[5:]} (mode 0600): any program "
                "running as you can read it"
            )
        try:
            self.store.save(profile)
            if make_default:
                self.store.set_default(profile.name)
        except BaseException:
            if secret is not None:
                self._roll_back_key(profile, previous)
            raise
        return profile, secret is not None

    def _write_key(self, profile: Profile, secret: str) -> tuple[Profile, str | None]:
        """Store the key; when a keyring that seemed usable refuses it (locked, timed out), ask
        where else it should live instead of losing every answer. None: nothing stored."""
        try:
            self.secrets.write(profile.name, profile.key, secret)
        except KeyStoreError as exc:
            if not self.interactive or KeySource.parse(profile.key).kind != "keyring":
                raise
            profile = replace(profile, key=self._key_home(profile.name, exc))
            if KeySource.parse(profile.key).kind != "file":
                return profile, None  # ccwrap only reads env: and cmd: sources
            self.secrets.write(profile.name, profile.key, secret)
        return profile, secret

    def _read_quietly(self, profile: Profile) -> str | None:
        try:
            return self.secrets.read(profile.name, profile.key)
        except KeyStoreError:
            return None

    def _roll_back_key(self, profile: Profile, previous: str | None) -> None:
        try:
            if previous is None:
                self.secrets.delete(profile.name, profile.key)
            else:
                self.secrets.write(profile.name, profile.key, previous)
        except KeyStoreError:
            pass  # the save error is the one to report


def check_secret(secret: str) -> str:
    """A key Claude Code can send (the read paths' rule, ``keys.sources.key_problem``); the
    message never echoes it."""
    secret = clean_key(secret)
    problem = key_problem(secret)
    if problem is not None:
        raise ConfigError(
            f"the key {problem}", hint="copy the key again; a 'Bearer ' prefix is not part of it"
        )
    return secret


def looks_like_url(answer: str) -> bool:
    """An answer to "Gateway" that is a URL or a host, not a choice (``gw.example.com``,
    ``127.0.0.1:18765``, ``http://localhost:4000``)."""
    answer = answer.strip()
    return bool(answer) and not answer.isdigit() and any(c in answer for c in ".:/")


def name_from_url(raw: str | None) -> str:
    """A readable default name from the URL's host.

    ``https://api.gw.example.com/x`` → ``example``, ``https://openrouter.ai/api`` →
    ``openrouter``, a loopback host ``127.0.0.1:18765`` → ``local-18765``, another IP address
    ``10.0.0.5:8080`` → ``host-10-0-0-5-8080``.
    """
    if not raw:
        return "default"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        host, port = (parts.hostname or "").lower().rstrip("."), parts.port
    except ValueError:
        return "default"
    suffix = f"-{port}" if port else ""
    if is_loopback(host):
        candidate = f"local{suffix}"
    elif _is_ip_address(host):
        candidate = "host-" + re.sub(r"[^0-9a-f]+", "-", host).strip("-") + suffix
    else:
        labels = [label for label in host.split(".") if label and label not in ("api", "www")]
        if len(labels) >= 2:
            labels = labels[:-1]
        candidate = labels[-1] if labels else "default"
    try:
        return validate_name(candidate[:64])
    except ConfigError:
        return "default"


def _is_ip_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def default_key_variable(profile: str) -> str:
    """``local-18765`` → ``LOCAL_18765_API_KEY``: a variable name for the profile's key."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", profile).strip("_").upper() or "CCWRAP"
    if stem[0].isdigit():
        stem = f"CCWRAP_{stem}"
    return f"{stem}_API_KEY"
