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


def frontier_points(results: Iterable[Any], label: str = "risk_aversion"
                    ) -> list[dict[str, Any]]:
    """The data a frontier plot draws: one point per result that has a portfolio.

    Each point has ``volatility``, ``expected_return``, ``value`` (the sweep value
    ``params['sweep'][label]``, or None), ``feasible``, ``proven`` (the backend proved
    the answer optimal: status ``optimal``, as ``exact`` and ``milp`` report; a plain
    solution dict is not proven), ``dominated`` (another feasible point has no more
    volatility and no less return, one of them strictly: an annealer's answer that
    missed the optimum for its risk aversion) and ``on_frontier`` (feasible and not
    dominated: the points the frontier line joins, in order of volatility).

    >>> pts = frontier_points([{"volatility": 0.1, "expected_return": 0.3},
    ...                        {"volatility": 0.2, "expected_return": 0.2}])
    >>> [(p["dominated"], p["on_frontier"], p["proven"]) for p in pts]
    [(False, True, False), (True, False, False)]
    """
    points: list[dict[str, Any]] = []
    for r in results:
        sol = getattr(r, "solution", r)
        if not isinstance(sol, Mapping) or "volatility" not in sol:
            continue
        points.append({
            "volatility": float(sol["volatility"]),
            "expected_return": float(sol["expected_return"]),
            "value": getattr(r, "params", {}).get("sweep", {}).get(label),
            "feasible": bool(getattr(r, "feasible", True)),
            "proven": getattr(r, "status", None) == "optimal",
        })
    feasible = [p for p in points if p["feasible"]]
    for p in points:
        p["dominated"] = p["feasible"] and any(_dominates(q, p) for q in feasible)
        p["on_frontier"] = p["feasible"] and not p["dominated"]
    return points


def _dominates(a: Mapping[str, float], b: Mapping[str, float], tol: float = 1e-12) -> bool:
    """``a`` is at least as good as ``b`` on risk and return, and better on one."""
    no_worse = (a["volatility"] <= b["volatility"] + tol
                and a["expected_return"] >= b["expected_return"] - tol)
    better = (a["volatility"] < b["volatility"] - tol
              or a["expected_return"] > b["expected_return"] + tol)
    return no_worse and better


#: How each kind of point is drawn: (legend text, marker, colour, fill).
_STYLES = {
    "proven": ("proven optimal", "o", "tab:blue", "full"),
    "unproven": ("not proven optimal", "^", "tab:orange", "full"),
    "dominated": ("dominated (off the frontier)", "X", "tab:red", "full"),
    "infeasible": ("infeasible", "o", "grey", "none"),
}


def _kind(point: Mapping[str, Any]) -> str:
    if not point["feasible"]:
        return "infeasible"
    if point["dominated"]:
        return "dominated"
    return "proven" if point["proven"] else "unproven"


def frontier(results: Iterable[Any], path: str | Path, *, label: str = "risk_aversion",
             title: str | None = None) -> Path:
    """Plot portfolio results as volatility (x) vs expected return (y).

    ``results`` are :class:`qanneal.result.Result` objects (or plain solution dicts)
    whose solutions carry ``volatility`` and ``expected_return``; each point is
    annotated with ``params['sweep'][label]`` when present. What is drawn is
    :func:`frontier_points`: the line joins the non-dominated feasible points by
    volatility; answers not proven optimal (an annealer's), dominated answers and
    infeasible ones each have their own marker, named in the legend.
    """
    points = frontier_points(results, label)
    if not points:
        raise ValueError("no results with volatility and expected_return to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    line = sorted((p for p in points if p["on_frontier"]), key=lambda p: p["volatility"])
    ax.plot([p["volatility"] for p in line], [p["expected_return"] for p in line], "-",
            color="grey", alpha=0.5, label="frontier (non-dominated points)")
    for kind, (text, marker, colour, fill) in _STYLES.items():
        group = [p for p in points if _kind(p) == kind]
        if group:
            ax.plot([p["volatility"] for p in group], [p["expected_return"] for p in group],
                    linestyle="none", marker=marker, color=colour, fillstyle=fill, label=text)
    for p in points:
        if p["value"] is not None:
            ax.annotate(f"{p['value']:g}", (p["volatility"], p["expected_return"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel("volatility")
    ax.set_ylabel("expected return")
    ax.set_title(title or f"efficient frontier ({label} sweep)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)
