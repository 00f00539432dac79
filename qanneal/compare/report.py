"""What a comparison writes: the terminal table, CSV/JSONL/JSON files, plots and report.html.

``runs.jsonl`` grows one flushed line per finished run, so an interrupted comparison
keeps every finished run; every other file is rewritten atomically
(:func:`qanneal.io.atomic_write_text`) and is therefore always complete.
``report.html`` is one self-contained page: plots are embedded as base64 data URIs
and there is no script or external reference, so it opens offline.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qanneal.errors import OutputError
from qanneal.io import atomic_write_bytes, atomic_write_text, dumps, jsonable, output_target

if TYPE_CHECKING:
    from rich.table import Table

    from qanneal.compare.api import Comparison

RUN_COLUMNS = ["run", "problem_index", "name", "problem", "file", "backend", "repeat", "seed",
               "status", "error", "objective", "feasible", "target", "gap_to_target",
               "reached_target", "time_to_target_s", "run_time_s", "num_samples",
               "num_feasible", "num_repaired", "energy", "wall_s", "gap"]
#: Bulky or nested fields kept out of the CSV (they are in runs.jsonl).
CSV_SKIP = {"solution", "versions", "penalties", "violations", "source", "known_optimum",
            "sense", "manifest"}
SUMMARY_COLUMNS = ["problem_index", "problem", "backend", "available", "reason", "target",
                   "target_kind", "planned", "runs", "completed", "errors", "timeouts",
                   "missing", "best", "median", "worst", "feasible_runs", "feasible_samples",
                   "p_success", "time_to_target_s", "tts99_s", "t_run_s", "stopped_early",
                   "wall_median_s", "wall_p25_s",
                   "wall_p75_s", "wall_min_s", "wall_max_s", "gap_best", "gap_median",
                   "milp_gap_median", "error", "kind", "file", "sense"]


# ---------------------------------------------------------------------- formatting
def fmt(value: Any, digits: int = 6) -> str:
    """A compact cell: '-' for None, '∞' for infinity, integers without '.0'.

    >>> fmt(None), fmt(46.0), fmt(float("inf")), fmt(0.123456789), fmt(0.5, 2)
    ('-', '46', '∞', '0.123457', '0.5')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if math.isnan(value):
            return "nan"
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}"
    return str(value)


def fmt_pct(value: float | None) -> str:
    """A fraction as a percentage.

    >>> fmt_pct(0.5), fmt_pct(None), fmt_pct(float('inf'))
    ('50%', '-', '∞')
    """
    if value is None:
        return "-"
    if math.isinf(value):
        return "∞"
    return f"{100 * value:.3g}%"


def fmt_time(value: float | None) -> str:
    """Seconds, three significant digits.

    >>> fmt_time(0.01234), fmt_time(float('inf')), fmt_time(None)
    ('0.0123 s', '∞', '-')
    """
    if value is None:
        return "-"
    if math.isinf(value):
        return "∞"
    return f"{value:.3g} s"


def flatten(row: Mapping[str, Any], prefix: str = "", skip: set[str] | None = None
            ) -> dict[str, Any]:
    """Nested mappings become dotted columns; lists become JSON text.

    >>> flatten({"a": 1, "info": {"gap": 0.1, "t": [1, 2]}, "solution": [0]}, skip={"solution"})
    {'a': 1, 'info.gap': 0.1, 'info.t': '[1, 2]'}
    """
    out: dict[str, Any] = {}
    for key, value in row.items():
        if skip and key in skip:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(jsonable(value))
        else:
            out[name] = value
    return out


def to_csv(rows: Sequence[Mapping[str, Any]], first: Sequence[str]) -> str:
    """CSV text with the ``first`` columns in order, then every other column sorted."""
    columns = [c for c in first if any(c in r for r in rows)] if rows else list(first)
    extra = sorted({k for r in rows for k in r} - set(columns))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns + extra, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return "" if value is None else value


# ---------------------------------------------------------------------- files
class RunLog:
    """``runs.jsonl``, appended and flushed one line per finished run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The same checks as every other write (a FIFO would block, a device or an
            # input file must not be written); a symlink is written through.
            real, _ = output_target(path)
            self._fh = real.open("w", encoding="utf-8")
        except OSError as exc:
            raise OutputError(path, exc.strerror or str(exc)) from None

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one line; a write that fails (a full disk) raises :class:`OutputError`."""
        try:
            self._fh.write(dumps(row, indent=None) + "\n")
            self._fh.flush()
        except OSError as exc:
            raise OutputError(self.path, exc.strerror or str(exc)) from None

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError:  # the failed flush was reported by append
            pass


def write_tables(comparison: Comparison, out: Path) -> dict[str, Path]:
    """runs.csv, summary.csv and summary.json (each atomically)."""
    runs = [flatten(r, skip=CSV_SKIP) for r in comparison.annotated_runs()]
    summary = [flatten(r) for r in comparison.summary]
    return {
        "runs.csv": atomic_write_text(out / "runs.csv", to_csv(runs, RUN_COLUMNS)),
        "summary.csv": atomic_write_text(out / "summary.csv", to_csv(summary, SUMMARY_COLUMNS)),
        "summary.json": atomic_write_text(out / "summary.json",
                                          dumps(comparison.to_summary_dict()) + "\n"),
    }


def render_plots(comparison: Comparison) -> dict[str, bytes]:
    """The PNG plots by file name (the quality profile only for several problems)."""
    from qanneal.compare import plots

    backends = [b["name"] for b in comparison.backends if b.get("available", True)]
    out = {
        "objective_vs_time.png": plots.objective_vs_time(
            comparison.runs, comparison.problems, backends, comparison.targets),
        "tts99.png": plots.tts_bars(comparison.summary, comparison.problems, backends),
    }
    if len(comparison.problems) > 1:
        out["quality_profile.png"] = plots.quality_profile(
            comparison.summary, comparison.problems, backends)
    return out


def write_all(comparison: Comparison, out: Path) -> dict[str, Path]:
    """Every file but runs.jsonl: tables, plots, report.html."""
    files = write_tables(comparison, out)
    images = render_plots(comparison)
    for name, data in images.items():
        files[name] = atomic_write_bytes(out / name, data)
    files["report.html"] = atomic_write_text(out / "report.html", html_report(comparison, images))
    return files


# ---------------------------------------------------------------------- terminal
def _winners(summary: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str], Any]:
    """Per problem, the best value of each highlighted column (None: nothing to rank)."""
    from qanneal.compare import metrics

    out: dict[tuple[int, str], Any] = {}
    for index in {r["problem_index"] for r in summary}:
        mine = [r for r in summary if r["problem_index"] == index and r.get("runs")]
        if not mine:
            continue
        sense = mine[0].get("sense", "min")
        out[index, "best"] = metrics.best((r.get("best") for r in mine), sense)
        out[index, "median"] = metrics.best((r.get("median") for r in mine), sense)
        p_best = metrics.best((r.get("p_success") for r in mine), "max")
        out[index, "p_success"] = p_best if p_best else None  # nobody reached it: no winner
        tts = [r.get("tts99_s") for r in mine if r.get("tts99_s") is not None
               and math.isfinite(r["tts99_s"])]
        out[index, "tts99_s"] = min(tts) if tts else None
        ttt = [r["time_to_target_s"] for r in mine if r.get("time_to_target_s") is not None]
        out[index, "time_to_target_s"] = min(ttt) if ttt else None
    return out


def _is_winner(winners: Mapping[tuple[int, str], Any], row: Mapping[str, Any], col: str) -> bool:
    value, best = row.get(col), winners.get((row["problem_index"], col))
    return value is not None and best is not None and value == best


def _feasible(row: Mapping[str, Any]) -> str:
    """Feasibility over all returned samples, then over runs (best answer feasible)."""
    if row.get("feasible_samples") is None and row.get("feasible_runs") is None:
        return "-"
    return f"{fmt_pct(row.get('feasible_samples'))} / {fmt_pct(row.get('feasible_runs'))}"


def notes(row: Mapping[str, Any]) -> str:
    """Errors, timeouts, missing runs, MILP gap and backend-reported times, in words."""
    parts = []
    if row.get("errors"):
        parts.append(f"{row['errors']} error(s): {row.get('error')}")
    if row.get("timeouts"):
        parts.append(f"{row['timeouts']} timeout(s)")
    if row.get("missing"):
        parts.append(f"{row['missing']} not run")
    if row.get("milp_gap_median") is not None:
        parts.append(f"MILP gap {fmt_pct(row['milp_gap_median'])}")
    if row.get("stopped_early"):
        parts.append(f"{row['stopped_early']} stopped early at the proven target")
    for key, value in (row.get("reported") or {}).items():
        if "." not in key:  # headline times only; every one is a column in summary.csv
            parts.append(_reported(key, value))
    return "; ".join(parts)


def _reported(key: str, value: float | None) -> str:
    """A backend-reported time with its unit read from the key's suffix.

    >>> _reported("qpu_access_time_s", 0.00855), _reported("sampling_us", 82.08)
    ('qpu_access_time 0.00855 s', 'sampling 82.1 µs')
    """
    for suffix, unit in (("_s", "s"), ("_ms", "ms"), ("_us", "µs")):
        if key.endswith(suffix):
            return f"{key[: -len(suffix)]} {fmt(value, 3)} {unit}"
    return f"{key} {fmt(value, 4)}"


def summary_table(comparison: Comparison) -> Table:
    """One rich row per problem x backend; the best value of a column is highlighted."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"qanneal compare — {comparison.finished} of {comparison.planned} runs "
                        f"(seed {comparison.seed})", title_justify="left")
    for col in ("problem", "backend", "runs", "best", "median", "worst", "feasible s/r", "p_s",
                "to target", "TTS99", "t/run", "gap", "notes"):
        left = col in ("problem", "backend", "notes")
        table.add_column(col, justify="left" if left else "right", no_wrap=not left,
                         overflow="fold", ratio=2 if col == "notes" else None)
    winners = _winners(comparison.summary)
    previous = None
    for row in comparison.summary:
        problem = ""
        if row["problem_index"] != previous:
            if previous is not None:
                table.add_section()
            problem = escape(str(row["problem"]))
            if row["target"] is not None:
                problem += f"\n[dim]target {fmt(row['target'])} ({row['target_kind']})[/]"
        previous = row["problem_index"]
        if not row["available"]:
            table.add_row(problem, row["backend"], *[""] * 10,
                          f"[red]unavailable:[/] {escape(row['reason'])}")
            continue

        def cell(col: str, text: str, row: Mapping[str, Any] = row) -> str:
            return f"[bold green]{text}[/]" if _is_winner(winners, row, col) else text

        table.add_row(
            problem, row["backend"], f"{row['runs']}/{row['planned']}",
            cell("best", fmt(row["best"])), cell("median", fmt(row["median"])),
            fmt(row["worst"]), _feasible(row),
            cell("p_success", fmt(row["p_success"], 3)),
            cell("time_to_target_s", fmt_time(row["time_to_target_s"])),
            cell("tts99_s", fmt_time(row["tts99_s"])),
            fmt_time(row["t_run_s"]), fmt_pct(row["gap_median"]), escape(notes(row)))
    return table


# ---------------------------------------------------------------------- HTML
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top;
white-space:nowrap}th{white-space:normal}td.l{white-space:normal}
td.l:last-child{min-width:12em}td:first-child{white-space:nowrap}td.w{white-space:normal}
.wide{overflow-x:auto}
th{background:#eef2f7}td.l,th.l{text-align:left}
tr:nth-child(even) td{background:#fafafa}
td.best{background:#d8f3dc !important;font-weight:bold}
td.bad{color:#b00020}img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.meta{color:#555;font-size:.9em}
"""


def _img(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _table(headers: Sequence[str], rows: Sequence[Sequence[tuple[Any, ...]]],
           left: int = 2) -> str:
    """An HTML table; each cell is (text, css class) or (text, css class, colspan)."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{html.escape(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{cell[1]}"' + (f' colspan="{cell[2]}"' if len(cell) > 2 else "")
            + f">{html.escape(cell[0])}</td>" for cell in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _spread(row: Mapping[str, Any]) -> str:
    """Median wall time per run and its interquartile range, in one cell."""
    if row.get("wall_median_s") is None:
        return "-"
    return (f"{fmt_time(row['wall_median_s'])} ({fmt(row['wall_p25_s'], 3)}–"
            f"{fmt(row['wall_p75_s'], 3)})")


def html_report(comparison: Comparison, images: Mapping[str, bytes]) -> str:
    """The whole report as one HTML string (tables, plots inline, no external links)."""
    winners = _winners(comparison.summary)
    summary_rows = []
    for row in comparison.summary:
        if not row["available"]:
            summary_rows.append([(str(row["problem"]), "l"), (row["backend"], "l"),
                                 (f"unavailable: {row['reason']}", "l bad", 13)])
            continue

        def c(col: str, text: str, row: Mapping[str, Any] = row) -> tuple[str, str]:
            return text, "best" if _is_winner(winners, row, col) else ""

        summary_rows.append([
            (str(row["problem"]), "l"), (row["backend"], "l"),
            (fmt(row["target"]), ""), (f"{row['runs']}/{row['planned']}", ""),
            c("best", fmt(row["best"])), c("median", fmt(row["median"])), (fmt(row["worst"]), ""),
            (_feasible(row), ""), c("p_success", fmt(row["p_success"], 3)),
            c("tts99_s", fmt_time(row["tts99_s"])),
            c("time_to_target_s", fmt_time(row["time_to_target_s"])),
            (fmt_time(row["t_run_s"]), ""), (_spread(row), "w"),
            (fmt_pct(row["gap_median"]), ""), (notes(row), "l"),
        ])
    summary_html = _table(["problem", "backend", "target", "runs", "best", "median", "worst",
                           "feasible: samples / runs", "p_s", "TTS99", "time to target",
                           "t_run (mean)", "wall/run: median (p25–p75)", "gap (median run)", "notes"],
                          summary_rows)
    run_rows = []
    for r in comparison.annotated_runs():
        bad = "bad" if r.get("status") in ("error", "timeout") or not r.get("feasible") else ""
        run_rows.append([
            (str(r.get("name")), "l"), (str(r.get("backend")), "l"), (fmt(r.get("repeat")), ""),
            (str(r.get("seed")), ""), (str(r.get("status")), bad),
            (fmt(r.get("objective")), ""), (fmt(r.get("feasible")), bad),
            (fmt_pct(r.get("gap_to_target")), ""), (fmt_time(r.get("wall_s")), ""),
            (str(r.get("error") or ""), "l"),
        ])
    runs_html = _table(["problem", "backend", "repeat", "seed", "status", "objective",
                        "feasible", "gap", "wall", "error"], run_rows)
    plots_html = "".join(f"<h3>{html.escape(name)}</h3>{_img(data, name)}"
                         for name, data in images.items())
    missing = comparison.missing_text()
    problems = "".join(
        f"<li>{html.escape(str(p.get('name')))} ({html.escape(str(p.get('kind')))}, "
        f"{p.get('sense')}imise, {p.get('num_variables')} variables; target "
        f"{fmt(value)} ({kind}))"
        f"{' — ' + html.escape(str(p.get('file'))) if p.get('file') else ''}</li>"
        for p, (value, kind) in zip(comparison.problems, comparison.targets))
    settings = html.escape(json.dumps(jsonable(comparison.settings), indent=1))
    state = ("<p class='bad'><b>Interrupted:</b> " + html.escape(missing) + "</p>"
             if comparison.interrupted or comparison.missing else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>qanneal compare</title>
<style>{CSS}</style></head><body>
<h1>qanneal compare</h1>
<p class="meta">{comparison.finished} of {comparison.planned} runs, seed {comparison.seed},
executor {html.escape(str(comparison.settings.get('executor')))}.
Best values per problem are highlighted. p_s: fraction of runs reaching the target (relative
tolerance {comparison.settings.get('rtol')}); time to target: median, over the runs that reached
it, of when each run first had a verified feasible answer reaching it (seconds of solving:
model building, kernel compilation and decoding excluded); t_run: mean solving time the runs
actually took (shorter for runs stopped early at a proven optimum); TTS99 =
t_run·ln(0.01)/ln(1−p_s), at least one run; feasible: verified feasible samples over all
returned samples.</p>
{state}
<h2>Summary</h2><div class="wide">{summary_html}</div>
<h2>Problems and targets</h2><ul>{problems}</ul>
<h2>Plots</h2>{plots_html}
<h2>Runs</h2><div class="wide">{runs_html}</div>
<h2>Settings</h2><pre>{settings}</pre>
</body></html>
"""
