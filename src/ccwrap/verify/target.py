"""What verify talks to: a profile as ``ccwrap run`` uses it (URL, auth, key, headers, model).

The key and secret headers come from the profile's key sources, as for ``run``; a key that cannot
be read stops verify before anything is sent (no half-authenticated run spends money). The model
is what claude would send (``--model``, else the profile's ``model``, else the client's default),
and with a ``model_map`` the name the proxy hands the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccwrap.keys.sources import SecretStore
from ccwrap.launch.plan import NO_KEY_PLACEHOLDER
from ccwrap.ledger.prices import Prices
from ccwrap.profiles.store import Profile

# With no model set, claude picks its own default; verify uses the model doctor probes with, and
# the output says so ("no model set: the client's default").
# Equal to doctor.probes.FALLBACK_MODEL (a test holds them together; that module imports httpx).
DEFAULT_MODEL = "claude-sonnet-4-5"


@dataclass
class Target:
    profile: str
    base_url: str
    auth: str
    key: str | None = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # may hold secrets
    requested_model: str = DEFAULT_MODEL  # what claude sends
    model: str = DEFAULT_MODEL  # what reaches the gateway (after the model map)
    model_source: str = "the client's default"
    disable_betas: bool = False
    prices: Prices | None = None  # the profile's own prices, for the plan's and the run's cost

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def request_headers(self) -> dict[str, str]:
        """The profile's headers, then the key as claude sends it under ``ccwrap run``: run hands
        the key over through apiKeyHelper, whose output the client sends in both headers
        (measured; tests/test_run_claude.py), whatever the profile's auth mode."""
        headers = dict(self.headers)
        if self.key and self.auth != "none":
            headers["authorization"] = f"Bearer {self.key}"
            headers["x-api-key"] = self.key
        elif self.auth == "none":
            headers["authorization"] = f"Bearer {NO_KEY_PLACEHOLDER}"  # what run makes claude send
        return headers

    def secrets(self) -> list[str]:
        """Values never to print whole (the key, secret header values)."""
        return [v for v in (self.key, *self._secret_values) if v]

    _secret_values: tuple[str, ...] = field(default=(), repr=False)


def target_of(profile: Profile, secrets: SecretStore, model: str | None = None) -> Target:
    from ccwrap.proxy.model_map import ModelMap

    key = None if profile.auth == "none" else secrets.read(profile.name, profile.key)
    hidden = {
        name: secrets.read(profile.name, spec) for name, spec in profile.secret_headers.items()
    }
    requested = model or profile.model or DEFAULT_MODEL
    source = (
        "--model"
        if model
        else "the profile's model"
        if profile.model
        else ("no model set: the client's default")
    )
    mapped = ModelMap.from_rules(profile.model_map).target(requested)
    target = Target(
        profile=profile.name,
        base_url=profile.base_url,
        auth=profile.auth,
        key=key,
        headers={**profile.headers, **hidden},
        requested_model=requested,
        model=mapped or requested,
        model_source=source + (f", mapped to {mapped}" if mapped else ""),
        disable_betas=profile.disable_experimental_betas,
        prices=Prices.of(profile),
    )
    target._secret_values = tuple(hidden.values())
    return target
