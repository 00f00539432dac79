"""Comparison plots as PNG bytes, drawn with matplotlib's Agg canvas (no display needed).

Figures are built with ``matplotlib.figure.Figure`` directly, never through pyplot, so
drawing a report neither changes nor needs the process's global backend.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from qanneal.compare import metrics

#: At most this many problems get a panel in the objective/time figure.
MAX_PANELS = 12


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _legend(ax: Any, loc: str) -> None:
    if ax.get_legend_handles_labels()[0]:
        if loc == "outside":  # right of the axes, never over a bar or a label
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.legend(fontsize=8, loc=loc)
    else:  # nothing finished yet (an early Ctrl-C): say so instead of an empty frame
        ax.text(0.5, 0.5, "no finished runs", transform=ax.transAxes, ha="center",
                va="center", color="0.4")


def _colours(backends: Sequence[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {name: cmap(i % 10) for i, name in enumerate(backends)}


def objective_vs_time(runs: Sequence[Mapping[str, Any]], problems: Sequence[Mapping[str, Any]],
                      backends: Sequence[str], targets: Sequence[tuple[float | None, str]]
                      ) -> bytes:
    """One panel per problem: each run's anytime curve of verified objectives
    (``info.verified_trace``, a step line) against its solve time, a dot where it ended."""
    from qanneal.compare.summary import run_time, verified_objective

    shown = list(range(min(len(problems), MAX_PANELS)))
    cols = min(3, len(shown)) or 1
    rows = math.ceil(len(shown) / cols) or 1
    fig = _figure(4.2 * cols + 1.5, 3.2 * rows + 0.4)
    colours = _colours(backends)
    axes = fig.subplots(rows, cols, squeeze=False)
    for slot, ax in enumerate(axes.flat):
        if slot >= len(shown):
            ax.set_visible(False)
            continue
        index = shown[slot]
        problem = problems[index]
        shown_points: list[tuple[float, float | None]] = []
        for name in backends:
            mine = [r for r in runs if r.get("problem_index") == index
                    and r.get("backend") == name and verified_objective(r) is not None
                    and run_time(r) is not None]
            pts = [(float(run_time(r)), verified_objective(r)) for r in mine]
            for r in mine:
                curve = [(float(t), float(o)) for t, o in
                         (r.get("info") or {}).get("verified_trace") or () if t > 0]
                if curve:  # held until the run ended
                    xs, ys = zip(*curve, (max(float(run_time(r)), curve[-1][0]), curve[-1][1]))
                    ax.step(xs, ys, where="post", color=colours[name], alpha=0.45,
                            linewidth=1)
                    shown_points += curve
            shown_points += pts
            if pts:
                xs, ys = zip(*pts)
                ax.scatter(xs, ys, s=22, alpha=0.75, color=colours[name], label=name)
        target, kind = targets[index]
        if target is not None:
            ax.axhline(target, color="0.3", linestyle="--", linewidth=1,
                       label=f"target ({kind})")
        walls = [x for x, _ in shown_points]
        if walls and min(walls) > 0 and max(walls) / min(walls) > 20:
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # crowded minor labels overlap
        sense = "max" if problem.get("sense") == "max" else "min"
        ax.set_title(f"{problem.get('name')} ({sense})", fontsize=10)
        ax.set_xlabel("solve time (s)")
        ax.set_ylabel("objective")
        ax.grid(alpha=0.3)
        if slot == 0:
            _legend(ax, loc="best")
    if len(problems) > len(shown):
        fig.suptitle(f"first {len(shown)} of {len(problems)} problems", fontsize=10)
    return _png(fig)


def tts_bars(summary: Sequence[Mapping[str, Any]], problems: Sequence[Mapping[str, Any]],
             backends: Sequence[str]) -> bytes:
    """TTS99 per backend (grouped by problem, log scale); ∞ where p_s = 0."""
    colours = _colours(backends)
    n = len(problems)
    fig = _figure(8.0, 1.2 + 0.45 * n * max(1, len(backends)) ** 0.5 + 0.6)
    ax = fig.add_subplot()
    height = 0.8 / max(1, len(backends))
    finite = [r["tts99_s"] for r in summary
              if r.get("tts99_s") is not None and math.isfinite(r["tts99_s"]) and r["tts99_s"] > 0]
    top = max(finite) * 3 if finite else 1.0
    for b, name in enumerate(backends):
        ys, widths, labels = [], [], []
        for r in summary:
            if r["backend"] != name or r.get("tts99_s") is None:
                continue
            y = r["problem_index"] + b * height - 0.4 + height / 2
            value = r["tts99_s"]
            ys.append(y)
            widths.append(top if math.isinf(value) else max(value, 1e-6))
            labels.append("∞" if math.isinf(value) else f"{value:.3g} s")
        if ys:
            bars = ax.barh(ys, widths, height=height * 0.9, color=colours[name], label=name)
            for bar, label in zip(bars, labels):
                if label == "∞":
                    bar.set_hatch("//")
                    bar.set_alpha(0.35)
            ax.bar_label(bars, labels=labels, fontsize=7, padding=2)
    ax.set_xscale("log")
    ax.set_xlim(right=top * 4)  # room for the value labels
    ax.set_yticks(range(n), [str(p.get("name")) for p in problems])
    ax.invert_yaxis()
    ax.set_xlabel("TTS99 (s): expected time to reach the target with 99% confidence")
    ax.grid(axis="x", alpha=0.3)
    from matplotlib.patches import Patch

    # Proxy handles: the bars themselves may be hatched (∞), the legend shows plain colours.
    ax.legend(handles=[Patch(color=colours[name], label=name) for name in backends]
              + [Patch(facecolor="white", edgecolor="0.3", hatch="//", label="∞ (p_s = 0)")],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _png(fig)


def profile_gaps(summary: Sequence[Mapping[str, Any]], backends: Sequence[str],
                 num_problems: int) -> dict[str, list[float | None]]:
    """Per backend, each problem's median relative gap (None: not solved / not run)."""
    out: dict[str, list[float | None]] = {name: [None] * num_problems for name in backends}
    for r in summary:
        gap = r.get("gap_median")
        if r["backend"] in out and gap is not None and math.isfinite(gap):
            out[r["backend"]][r["problem_index"]] = max(gap, 0.0)
    return out


def quality_profile(summary: Sequence[Mapping[str, Any]], problems: Sequence[Mapping[str, Any]],
                    backends: Sequence[str]) -> bytes:
    """Fraction of problems whose median run is within x% of the target, against x."""
    gaps = profile_gaps(summary, backends, len(problems))
    finite = [g for gs in gaps.values() for g in gs if g is not None]
    upper = max([0.01, *finite]) * 1.1
    xs = [upper * i / 200 for i in range(201)]
    colours = _colours(backends)
    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    for name in backends:
        ys = metrics.quality_profile(gaps[name], xs)
        ax.step([100 * x for x in xs], ys, where="post", color=colours[name], label=name)
    ax.set_xlabel("gap to target (%) of the median run")
    ax.set_ylabel(f"fraction of the {len(problems)} problems")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    _legend(ax, loc="outside")
    return _png(fig)
