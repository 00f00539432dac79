"""Compare backends on problems: solution quality and runtime, in tables, files and plots.

``qanneal.compare(problems, backends, ...)`` returns a :class:`Comparison`; the
``qanneal compare`` command is the same from the terminal. See :mod:`.api` for the
options, :mod:`.metrics` for the definitions (p_s, TTS99, gaps), :mod:`.runner` for
the executors (serial, local process pool, Dask) and :mod:`.report` for the files.
"""

from __future__ import annotations

from qanneal.compare.api import CompareInterrupted, Comparison, compare

__all__ = ["CompareInterrupted", "Comparison", "compare"]
