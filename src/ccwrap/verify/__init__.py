"""``ccwrap verify``: a small paid test suite that says what a gateway really does with requests."""
