"""Shell integration: quoting, env lines, aliases and rc blocks."""
