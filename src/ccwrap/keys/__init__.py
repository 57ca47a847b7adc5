"""Where keys live: key sources, the OS keyring under a timeout, the direct Secret Service read."""
