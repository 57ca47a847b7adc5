"""Where keys live: key sources, the OS keyring under a timeout, the direct Secret Service read,
the apiKeyHelper command line (keys/helper_command.py)."""
