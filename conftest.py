"""Collection rules for the doctests under ``qanneal/`` (pytest --doctest-modules)."""

import importlib.util

# qanneal.hybrid refuses to import without its optional extra (dwave-hybrid).
collect_ignore = [] if importlib.util.find_spec("hybrid") else ["qanneal/hybrid.py"]
