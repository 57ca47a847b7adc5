"""Writing Claude Code's settings files: byte-exact JSON splices, ownership records, the
transactional writer, .gitignore.
"""
