"""What Claude Code itself reads and does: env from a profile, settings files and their precedence,
base-URL rules, the binary.
"""
