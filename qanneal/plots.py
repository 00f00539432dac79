"""Matplotlib figures for results: a Gantt chart of a schedule, an efficient frontier.

Both draw with the Agg backend (no display needed) and write the PNG atomically.

>>> import tempfile, pathlib
>>> rows = [{"machine": "M0", "job": "J0", "op": "J0.O0", "start": 0, "end": 2},
...         {"machine": "M1", "job": "J1", "op": "J1.O0", "start": 1, "end": 3}]
>>> out = gantt(rows, pathlib.Path(tempfile.mkdtemp()) / "g.png")
>>> out.read_bytes()[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qanneal.io import atomic_write_bytes


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)  # headless: never needs a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    return atomic_write_bytes(path, buffer.getvalue())


def gantt(schedule: Mapping[str, Any] | Sequence[Mapping[str, Any]], path: str | Path, *,
          title: str | None = None) -> Path:
    """Draw a schedule as a Gantt chart PNG: one row per machine, one bar per operation.

    ``schedule`` is a jobshop or machines solution (its ``schedule`` rows are used) or
    the rows themselves: mappings with ``machine``, ``job``, ``start``, ``end`` and
    optionally ``op`` (the bar label). Rows without a start are skipped.
    """
    rows = schedule.get("schedule", []) if isinstance(schedule, Mapping) else schedule
    rows = [r for r in rows if r.get("start") is not None and r.get("machine") is not None]
    if not rows:
        raise ValueError("the schedule has no scheduled operations to draw")
    plt = _pyplot()
    machines = sorted({str(r["machine"]) for r in rows})
    jobs = sorted({str(r["job"]) for r in rows})
    colours = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(machines) + 1.5))
    for r in rows:
        y = machines.index(str(r["machine"]))
        width = r["end"] - r["start"]
        ax.barh(y, width, left=r["start"], height=0.6, edgecolor="black",
                color=colours(jobs.index(str(r["job"])) % 20))
        ax.text(r["start"] + width / 2, y, str(r.get("op", r["job"])), ha="center",
                va="center", fontsize=7)
    ax.set_yticks(range(len(machines)), machines)
    ax.invert_yaxis()
    ax.set_xlabel("time")
    span = max(r["end"] for r in rows)
    ax.set_title(title or f"schedule (makespan {span})")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def frontier(results: Iterable[Any], path: str | Path, *, label: str = "risk_aversion",
             title: str | None = None) -> Path:
    """Plot portfolio results as volatility (x) vs expected return (y), in sweep order.

    ``results`` are :class:`qanneal.result.Result` objects (or plain solution dicts)
    whose solutions carry ``volatility`` and ``expected_return``; each point is
    annotated with ``params['sweep'][label]`` when present. Infeasible answers are
    drawn as hollow markers.
    """
    points = []
    for r in results:
        sol = getattr(r, "solution", r)
        if not isinstance(sol, Mapping) or "volatility" not in sol:
            continue
        value = getattr(r, "params", {}).get("sweep", {}).get(label)
        points.append((sol["volatility"], sol["expected_return"], value,
                       bool(getattr(r, "feasible", True))))
    if not points:
        raise ValueError("no results with volatility and expected_return to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot([p[0] for p in points], [p[1] for p in points], "-", color="grey", alpha=0.5)
    for vol, ret, value, feasible in points:
        ax.plot(vol, ret, "o", color="tab:blue", fillstyle="full" if feasible else "none")
        if value is not None:
            ax.annotate(f"{value:g}", (vol, ret), textcoords="offset points", xytext=(4, 4),
                        fontsize=7)
    ax.set_xlabel("volatility")
    ax.set_ylabel("expected return")
    ax.set_title(title or f"efficient frontier ({label} sweep)")
    ax.grid(alpha=0.3)
    return _save(fig, path)
