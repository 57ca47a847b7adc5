"""``ccwrap inspect``: what claude really sends for a profile, caught by a stand-in gateway."""
