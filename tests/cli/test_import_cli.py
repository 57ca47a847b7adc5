"""``ccwrap import``: files written here in each tool's format (see ccwrap.importers for the
format versions), read without changing them; keys land in the key store, never config.toml."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from ccwrap.context import Context
from ccwrap.profiles.store import Profile, ProfileStore
from tests.conftest import CliRunner
from tests.support.keyrings import MemoryKeyring

KEY_A, KEY_B = "sk-kimi-secret-0123456789", "sk-glm-secret-9876543210"
# cc-switch 3.8+ (src-tauri/src/database/schema.rs): the columns of the providers table.
CC_SWITCH_SCHEMA = """CREATE TABLE providers (
    id TEXT NOT NULL, app_type TEXT NOT NULL, name TEXT NOT NULL, settings_config TEXT NOT NULL,
    website_url TEXT, category TEXT, created_at INTEGER, sort_index INTEGER, notes TEXT,
    icon TEXT, icon_color TEXT, meta TEXT NOT NULL DEFAULT '{}',
    is_current BOOLEAN NOT NULL DEFAULT 0, in_failover_queue BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (id, app_type))"""


def store() -> ProfileStore:
    return ProfileStore(Context.from_os().paths.config_file)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cc_switch_db(isolated: Path) -> Path:
    path = isolated / ".cc-switch" / "cc-switch.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.execute(CC_SWITCH_SCHEMA)
    rows = [
        (
            "p1",
            "claude",
            "Kimi K2",
            {
                "env": {
                    "ANTHROPIC_BASE_URL": "https://api.moonshot.example/anthropic/",
                    "ANTHROPIC_AUTH_TOKEN": KEY_A,
                    "ANTHROPIC_MODEL": "kimi-k2",
                    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "kimi-k2-turbo",
                    "ANTHROPIC_CUSTOM_HEADERS": "X-Team: blue\nX-Env: prod",
                    "API_TIMEOUT_MS": "600000",
                }
            },
            1,
        ),
        (
            "p2",
            "claude",
            "GLM (zhipu)",
            {
                "env": {
                    "ANTHROPIC_BASE_URL": "https://glm.example/api/anthropic",
                    "ANTHROPIC_API_KEY": KEY_B,
                }
            },
            2,
        ),
        ("p3", "claude", "Claude Official", {"env": {}}, 3),
        ("p4", "claude", "Broken", {"env": {"ANTHROPIC_BASE_URL": "ftp:/nope"}}, 4),
        ("p5", "codex", "Codex thing", {"auth": {}}, 5),
    ]
    for pid, app, name, config, order in rows:
        conn.execute(
            "INSERT INTO providers (id, app_type, name, settings_config, sort_index) "
            "VALUES (?, ?, ?, ?, ?)",
            (pid, app, name, json.dumps(config), order),
        )
    conn.commit()
    conn.close()
    return path


def test_cc_switch_dry_run_creates_nothing(cli: CliRunner, cc_switch_db: Path) -> None:
    before = digest(cc_switch_db)
    result = cli("import", "cc-switch", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would create 'kimi-k2' from cc-switch provider 'Kimi K2'" in result.stdout
    assert "skip    cc-switch provider 'Claude Official': no base URL" in result.stdout
    assert "skip    cc-switch provider 'Broken'" in result.stdout
    assert "Codex" not in result.stdout
    assert KEY_A not in result.stdout and KEY_B not in result.stdout
    assert store().names() == []
    assert digest(cc_switch_db) == before


def test_cc_switch_import(
    cli: CliRunner, cc_switch_db: Path, memory_keyring: MemoryKeyring
) -> None:
    before = digest(cc_switch_db)
    result = cli("import", "cc-switch", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["created"] == ["kimi-k2", "glm-zhipu"]
    kimi = store().get("kimi-k2")
    assert (kimi.base_url, kimi.auth, kimi.key) == (
        "https://api.moonshot.example/anthropic",
        "bearer",
        "keyring",
    )
    assert (kimi.model, kimi.haiku_model) == ("kimi-k2", "kimi-k2-turbo")
    assert kimi.headers == {"X-Team": "blue", "X-Env": "prod"}
    assert store().get("glm-zhipu").auth == "x-api-key"
    assert MemoryKeyring.store[("ccwrap", "kimi-k2")] == KEY_A
    assert MemoryKeyring.store[("ccwrap", "glm-zhipu")] == KEY_B
    config = Context.from_os().paths.config_file.read_text()
    assert KEY_A not in config and KEY_B not in config
    assert digest(cc_switch_db) == before
    again = cli("import", "cc-switch")
    assert "exists already" in again.stdout or "kimi-k2-2" in again.stdout


def test_a_missing_database(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("import", "cc-switch", "--db", str(tmp_path / "none.db"))
    assert result.exit_code != 0 and "no cc-switch database" in result.stderr


def test_deep_link_from_stdin(cli: CliRunner, memory_keyring: MemoryKeyring) -> None:
    query = urlencode(
        {
            "resource": "provider",
            "app": "claude",
            "name": "Shared \x1b[2J gw",
            "endpoint": "https://a.example/anthropic,https://b.example/anthropic",
            "apiKey": KEY_A,
            "model": "m1",
            "opusModel": "m2",
        }
    )
    result = cli("import", "-", input=f"ccswitch://v1/import?{query}\n")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    profile = store().get("shared-2j-gw")
    assert (profile.base_url, profile.model, profile.opus_model) == (
        "https://a.example/anthropic",
        "m1",
        "m2",
    )
    assert "1 more endpoint(s) left out" in result.stdout
    assert MemoryKeyring.store[("ccwrap", "shared-2j-gw")] == KEY_A


@pytest.mark.parametrize(
    "link",
    [
        "ccswitch://v1/import?resource=mcp&apps=claude&config=%7B%7D",
        "ccswitch://v2/import?resource=provider&app=claude&name=x",
        "ccswitch://v1/import?resource=provider&app=codex&name=x",
        "https://v1/import?resource=provider&app=claude",
    ],
)
def test_deep_links_refused(cli: CliRunner, link: str) -> None:
    result = cli("import", link)
    assert result.exit_code == 2
    assert store().names() == []


def test_ccr(cli: CliRunner, isolated: Path, memory_keyring: MemoryKeyring) -> None:
    # claude-code-router 1.x config.json (README: Providers, Router, APIKEY, HOST, PORT).
    path = isolated / ".claude-code-router" / "config.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {
                "APIKEY": "router-secret-123456",
                "HOST": "0.0.0.0",
                "PORT": 3456,
                "Providers": [
                    {
                        "name": "deepseek",
                        "api_base_url": "https://api.deepseek.example/chat/completions",
                        "api_key": "sk-ds-123456789",
                        "models": ["deepseek-chat"],
                        "transformer": {"use": ["deepseek"]},
                    },
                    {
                        "name": "anthropic-compatible",
                        "api_base_url": "https://gw.example/v1/messages",
                        "api_key": "$GW_KEY",
                        "models": ["claude-sonnet-4-5"],
                    },
                ],
                "Router": {"default": "deepseek,deepseek-chat"},
            }
        )
    )
    before = digest(path)
    result = cli("import", "ccr")
    assert result.exit_code == 0, result.stderr
    router = store().get("ccr")
    assert (router.base_url, router.auth) == ("http://127.0.0.1:3456", "x-api-key")
    assert MemoryKeyring.store[("ccwrap", "ccr")] == "router-secret-123456"
    assert "skip    ccr provider 'deepseek': an OpenAI-format endpoint" in result.stdout
    gateway = store().get("anthropic-compatible")
    assert (gateway.base_url, gateway.key, gateway.model) == (
        "https://gw.example",
        "env:GW_KEY",
        "claude-sonnet-4-5",
    )
    assert digest(path) == before


def test_ccs(cli: CliRunner, isolated: Path, memory_keyring: MemoryKeyring) -> None:
    # ccs (kaitranntt/ccs) 4.x/5.x: ~/.ccs/config.json and one settings file per profile.
    folder = isolated / ".ccs"
    folder.mkdir()
    (folder / "glm.settings.json").write_text(
        json.dumps(
            {
                "env": {
                    "ANTHROPIC_BASE_URL": "https://api.z.example/api/anthropic",
                    "ANTHROPIC_AUTH_TOKEN": KEY_B,
                    "ANTHROPIC_MODEL": "glm-5",
                    "ANTHROPIC_DEFAULT_OPUS_MODEL": "glm-5",
                }
            }
        )
    )
    (folder / "config.json").write_text(
        json.dumps(
            {
                "profiles": {
                    "glm": "~/.ccs/glm.settings.json",
                    "kimi": "~/.ccs/kimi.settings.json",
                    "default": "~/.claude/settings.json",
                }
            }
        )
    )
    result = cli("import", "ccs")
    assert result.exit_code == 0, result.stderr
    glm = store().get("glm")
    assert (glm.base_url, glm.auth, glm.opus_model) == (
        "https://api.z.example/api/anthropic",
        "bearer",
        "glm-5",
    )
    assert "skip    ccs profile 'kimi': no ccs settings file" in result.stdout
    assert MemoryKeyring.store[("ccwrap", "glm")] == KEY_B


def test_existing_profiles_are_never_replaced(
    cli: CliRunner, cc_switch_db: Path, memory_keyring: MemoryKeyring
) -> None:
    store().save(Profile(name="kimi-k2", base_url="https://mine.example"))
    result = cli("import", "cc-switch")
    assert result.exit_code == 0, result.stderr
    assert store().get("kimi-k2").base_url == "https://mine.example"
    assert "kimi-k2-2" in store().names()
