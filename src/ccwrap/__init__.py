"""ccwrap: point Claude Code at any Anthropic-compatible gateway, safely."""

__version__ = "0.1.0"
