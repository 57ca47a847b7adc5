"""``ccwrap doctor``: every way a gateway setup fails, named with its cause and its fix.

runner.py    what to examine (profile, URL, or what claude would use now) and the run
local.py     checks without the network (URL form, key, settings files, claude)
probes.py    free HTTP probes (the only module importing httpx at module level here)
live.py      one real streaming message (``--live``)
classify.py  (status, headers, body) → finding; pure
explain.py   a message the client printed → finding; pure
model.py     Check and Finding, the stable ids and their titles
"""
