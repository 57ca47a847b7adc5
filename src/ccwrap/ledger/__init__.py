"""The embedded SQLite database in ccwrap's state folder: usage, launches, verify runs."""
