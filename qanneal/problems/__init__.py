"""Problem types. One module per type; each registers through the ``qanneal.problems`` entry points."""
