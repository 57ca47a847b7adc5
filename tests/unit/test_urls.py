from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ccwrap.claude.urls import (
    has_scheme,
    is_insecure,
    is_loopback,
    normalize_base_url,
    v1_suffix,
)
from ccwrap.errors import InvalidURL

KEPT = [
    # Paths gateways really use (docs/gateways.md): kept exactly.
    "https://api.aiohub.org",
    "http://localhost:8090/anthropic",
    "https://openrouter.ai/api",
    "https://dashscope.aliyuncs.com/apps/anthropic",
    "https://gateway.ai.cloudflare.com/v1/acct123/gw-1/anthropic",
    "https://api-gateway.merge.dev/v1/anthropic",
    "https://api.kimi.com/coding",
    "http://127.0.0.1:8080",
    "http://[::1]:8080",
    "https://[2001:db8::1]/api",
    "https://bücher.example/anthropic",
    "http://gateway.localhost:4000",
    "https://example.com/v1beta/anthropic",
    "https://example.com/a%20b",
]


@pytest.mark.parametrize("url", KEPT)
def test_good_urls_are_kept(url: str) -> None:
    result = normalize_base_url(url)
    assert result.url == url
    assert result.fixes == []
    assert result.removed_suffix is None


FIXED = [
    ("  https://x.example  ", "https://x.example", None),
    ('"https://x.example"', "https://x.example", None),
    ("'https://x.example/'", "https://x.example", None),
    ("\u201chttps://x.example\u201d", "https://x.example", None),
    ("<https://x.example>", "https://x.example", None),
    ("https://x.example/", "https://x.example", None),
    ("https://x.example///", "https://x.example", None),
    ("HTTPS://X.Example", "https://x.example", None),
    ("https://x.example/v1", "https://x.example", "/v1"),
    ("https://x.example/v1/", "https://x.example", "/v1"),
    ("https://x.example/V1", "https://x.example", "/v1"),
    ("https://x.example/v1/messages", "https://x.example", "/v1/messages"),
    ("https://x.example/anthropic/v1/messages/", "https://x.example/anthropic", "/v1/messages"),
    ("https://x.example/v1/chat/completions", "https://x.example", "/v1/chat/completions"),
    ("https://x.example/v1/v1/messages", "https://x.example", "/v1/v1/messages"),
    (
        "https://api-gateway.merge.dev/v1/anthropic/v1",
        "https://api-gateway.merge.dev/v1/anthropic",
        "/v1",
    ),
    ("http://[::FFFF:7f00:1]:08080", "http://[::ffff:7f00:1]:8080", None),
    ("https://x.example:", "https://x.example", None),
]


@pytest.mark.parametrize(("raw", "url", "removed"), FIXED)
def test_fixable_urls_are_fixed_and_explained(raw: str, url: str, removed: str | None) -> None:
    result = normalize_base_url(raw)
    assert result.url == url
    assert result.removed_suffix == removed
    # Changes of meaning or of characters the user typed are explained; canonical spelling
    # (case, port digits, IPv6 compression) is not worth a sentence.
    if removed or raw.strip().lower() != raw.lower() or raw.rstrip("/ '\">”") != raw:
        assert result.fixes, "a change of text must be explained"


def test_v1_fix_says_what_the_client_would_have_done() -> None:
    result = normalize_base_url("https://x.example/v1")
    assert "/v1/v1/messages" in result.fixes[0]


def test_openai_suffix_fix_names_the_format() -> None:
    result = normalize_base_url("https://x.example/v1/chat/completions")
    assert "OpenAI" in result.fixes[0]


REJECTED = [
    ("127.0.0.1:8080", "cannot be parsed as a URL"),
    ("api.example.com", "cannot be parsed as a URL"),
    ("", "empty"),
    ("  ''  ", "empty"),
    ("ftp://x.example", "scheme 'ftp'"),
    ("ws://x.example", "scheme 'ws'"),
    ("https://user:pw@x.example", "user name or password"),
    ("https://token@x.example", "user name or password"),
    ("https://x.example?key=1", "query string"),
    ("https://x.example/v1/messages?beta=true", "query string"),
    ("https://x.example/#top", "fragment"),
    ("https://x.example/a b", "space"),
    ("https://x.exa\tmple", "character"),
    ("https://x.example:0", "port"),
    ("https://x.example:65536", "port"),
    ("https://x.example:80a", "port"),
    ("https://", "no host"),
    ("https:///path", "no host"),
    ("https://:8080", "no host"),
    ("http://::1:8080", "IPv6 address without brackets"),
    ("http://[::1", "closing"),
    ("http://[::g]", "not a valid IPv6"),
    ("http://[::1]x", "unexpected"),
    ("http://300.1.1.1", "IPv4"),
    ("https://x..example", "empty label"),
    ("https://x_ex!ample.com", "character '!'"),
    ("https://x.example/a<b", "'<'"),
    ("https://x.example/a%zz", "'%'"),
    ("https:/x.example", "cannot be parsed"),
]


@pytest.mark.parametrize(("raw", "fragment"), REJECTED)
def test_bad_urls_are_refused_with_the_reason(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidURL) as caught:
        normalize_base_url(raw)
    assert fragment in caught.value.message


def test_missing_scheme_hint_suggests_http_for_loopback_and_https_otherwise() -> None:
    with pytest.raises(InvalidURL) as local:
        normalize_base_url("localhost:4000")
    with pytest.raises(InvalidURL) as remote:
        normalize_base_url("api.example.com/anthropic")
    assert local.value.hint == "write http://localhost:4000"
    assert remote.value.hint == "write https://api.example.com/anthropic"


def test_missing_scheme_hint_is_a_url_that_will_be_accepted_as_it_is() -> None:
    with pytest.raises(InvalidURL) as caught:
        normalize_base_url("gw.example.com/v1/")
    assert caught.value.hint == "write https://gw.example.com"
    suggested = caught.value.hint.removeprefix("write ")
    assert normalize_base_url(suggested).fixes == []


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://gateway.example.com", True),
        ("http://10.0.0.5:4000", True),
        ("http://localhost:4000", False),
        ("http://127.0.0.2", False),
        ("http://[::1]", False),
        ("https://gateway.example.com", False),
    ],
)
def test_plain_http_to_a_remote_host_warns_but_is_accepted(url: str, warned: bool) -> None:
    result = normalize_base_url(url)
    assert result.url == url
    assert bool(result.warnings) is warned
    assert is_insecure(url) is warned


def test_predicates() -> None:
    assert has_scheme(" 'https://x' ")
    assert has_scheme("HTTP://x")
    assert not has_scheme("ftp://x")
    assert not has_scheme("x.example:443")
    assert v1_suffix("https://x/v1/") == "/v1"
    assert v1_suffix("x.example/v1/messages") == "/v1/messages"
    assert v1_suffix("https://x/v1/chat/completions?a") == "/v1/chat/completions"
    assert v1_suffix("https://api-gateway.merge.dev/v1/anthropic") is None
    assert is_loopback("localhost")
    assert is_loopback("LOCALHOST.")
    assert is_loopback("[::1]")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("localhost.example.com")
    assert not is_loopback("0.0.0.0")
    assert not is_insecure("https://x")
    assert not is_insecure("not a url")
    assert is_insecure("http://user@example.com/x")


# -- generated inputs --------------------------------------------------------------------------

# Generated inputs are URL-shaped: scheme, host, port and path pieces, each chosen by one drawn
# character (a single text draw is as fast as Hypothesis gets: 10,000 examples in a few seconds).
# Each part is mostly valid and sometimes broken, so accepted and refused URLs are both well
# covered (the test records the split as Hypothesis events); a tail code may also insert itself
# as a raw character (controls, NBSP, quotes…).
GOOD_PREFIXES = ["http://", "https://", "HTTPS://", "hTTp://", " https://", "'https://", '"http://']
BAD_PREFIXES = ["", "ftp://", "http:/", "https:", "//", "\u201chttp://"]
GOOD_HOSTS = [
    "localhost", "127.0.0.1", "example.com", "GW.Example.COM", "[::1]", "[2001:DB8::1]",
    "bücher.de", "İ.com", "api.example.com", "gateway.ai.cloudflare.com", "x_y.z", "a.b.",
]  # fmt: skip
BAD_HOSTS = ["", "a..b", "[::1", "[::g]", "300.1.1.1", "u:p@h", "::1", "a b"]
GOOD_PORTS = ["", "", "", ":8080", ":443", ":08", ":"]
BAD_PORTS = [":0", ":99999", ":x"]
GOOD_PATHS = [
    "/", "//", "/v1", "/V1", "/v1/", "/messages", "/chat/completions", "/v1/messages",
    "/anthropic", "/api", "/apps", "/acct-1", "/gw_2", "/coding", "/a%20b", "/ü", "/~x",
    "/v1beta", "/anthropic/v1",
]  # fmt: skip
BAD_PATHS = ["%", "%2", "?", "?a=1", "#", "#x", " ", "'", "<", "\\"]
CODES = [chr(i) for i in range(256)]


def pick(code: int, good: list[str], bad: list[str], raw: bool = False) -> str:
    slot = code % 10
    if slot < 8:
        return good[code // 10 % len(good)]
    if slot == 9 and raw:
        return chr(code)
    return bad[code // 10 % len(bad)]


def assemble(drawn: str) -> str:
    codes = [ord(c) for c in drawn]
    head = pick(codes[0], GOOD_PREFIXES, BAD_PREFIXES) + pick(codes[1], GOOD_HOSTS, BAD_HOSTS)
    head += pick(codes[2], GOOD_PORTS, BAD_PORTS)
    return head + "".join(pick(c, GOOD_PATHS, BAD_PATHS, raw=True) for c in codes[3:])


URLISH = st.text(alphabet=st.sampled_from(CODES), min_size=3, max_size=8).map(assemble)


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(URLISH)
def test_normalize_never_crashes_and_is_idempotent(raw: str) -> None:
    try:
        first = normalize_base_url(raw)
    except InvalidURL:
        event("refused")
        return
    event("accepted")
    second = normalize_base_url(first.url)
    assert second.url == first.url
    assert second.fixes == []
    assert second.warnings == first.warnings


def test_same_base_url_ignores_space_and_a_trailing_slash() -> None:
    from ccwrap.claude.urls import same_base_url

    assert same_base_url(" https://gw.example/api/ ", "https://gw.example/api")
    assert not same_base_url("https://gw.example/api", "https://gw.example/api/v1")
    assert not same_base_url("https://gw.example", "http://gw.example")
