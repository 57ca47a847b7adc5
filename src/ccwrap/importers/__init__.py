"""Moving in from other switchers: cc-switch, claude-code-router (ccr) and ccs.

Each reader turns the other tool's stored providers into :class:`Found` rows (a ccwrap profile
plus the key to move into ccwrap's key store, or the reason it was skipped). Nothing of the
other tool is written: files are read size-capped (``fsutil.read_small_file``), cc-switch's
SQLite database is opened read-only. Everything read is untrusted: URLs go through
``claude.urls.normalize_base_url``, names through the profile-name rule, headers and variables
through the profile's own validation, and text shown is escaped by the caller.

Modules: ``found`` (the row every reader makes and its checks), ``cc_switch``, ``ccr``, ``ccs``
(one reader each) and ``create`` (profiles into the config, keys into the key store).

Formats (read from the tools' public sources; tests build files in these shapes):

- cc-switch (3.8+): ``~/.cc-switch/cc-switch.db``, table ``providers`` (``id``, ``app_type``,
  ``name``, ``settings_config`` = a Claude settings object ``{"env": {...}}``); deep links
  ``ccswitch://v1/import?resource=provider&app=claude&name=…&endpoint=…&apiKey=…&model=…``
  (``haikuModel``, ``sonnetModel``, ``opusModel``; ``endpoint`` may list several, comma-separated).
- claude-code-router: ``~/.claude-code-router/config.json``: ``Providers`` = list of
  ``{name, api_base_url, api_key, models, transformer}``; ``HOST``, ``PORT`` (3456), ``APIKEY``
  for the router itself; ``"$VAR"``/``"${VAR}"`` in a key means an environment variable.
- ccs: ``~/.ccs/config.json`` ``{"profiles": {NAME: "~/.ccs/NAME.settings.json"}}``, each a
  Claude settings object ``{"env": {...}}``.
"""

from __future__ import annotations

from ccwrap.importers.cc_switch import read_cc_switch, read_deep_link
from ccwrap.importers.ccr import read_ccr
from ccwrap.importers.ccs import read_ccs
from ccwrap.importers.create import create
from ccwrap.importers.found import Found, ImportSourceError, profile_name

__all__ = [
    "Found",
    "ImportSourceError",
    "create",
    "profile_name",
    "read_cc_switch",
    "read_ccr",
    "read_ccs",
    "read_deep_link",
]
