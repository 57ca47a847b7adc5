"""Request capture through the proxy: a hook that keeps each exchange in a redacted 0600 file."""
