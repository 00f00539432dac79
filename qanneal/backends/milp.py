"""``milp``: the classical baseline -- a PuLP MILP solved by HiGHS (default) or CBC.

It consumes the problem's native MILP formulation, or the generic McCormick
linearisation of its CQM (:mod:`qanneal.linearise`). The answer is read back through
the formulation's ``extract`` and then decoded and verified by the problem like any
other backend's.

HiGHS is the default whenever highspy is installed (it is a dependency): it runs
in-process and keeps its incumbent when stopped; CBC (bundled with PuLP) stays
available as ``solver=cbc``.

Time limits are enforced from outside, because neither solver honours a short one on
a large model by itself (CBC spent 3-30 s in its root LP and heuristics on an 800-node
max-cut given 1 s): HiGHS runs with interrupt callbacks that stop it at the wall-clock
deadline, keeping its incumbent; CBC runs as a subprocess that gets SIGINT, then
SIGKILL, once the budget and a grace period are spent (:mod:`qanneal.timeout`). CBC
(2.10.3, the one PuLP bundles) writes its solution file when it stops on SIGINT or on
its own ``-sec`` limit, but it checks both only between phases (its root LP and
preprocessing check neither; its feasibility pump checks only the time); it has no
option to write each incumbent as it is found, and its log gives an incumbent's value,
never its variables. So once its log shows an incumbent, it gets a longer grace
(within the caller's watchdog allowance) to stop and write it; killed before that, its
incumbent is lost and reported as ``info['lost_incumbent']`` (a value, no answer).

A run that found any feasible point returns it. ``info['status']`` says honestly how
it ended: ``optimal`` (proven), ``feasible`` (a solution with a gap), ``time_limit``
(with or without a solution), ``infeasible``, ``unbounded`` or ``error``; ``bound``
and ``gap`` go with every solution that has them. ``optimal`` is a true certificate:
the objective is scaled for the solver so that its absolute tolerances are relative
ones, and the gaps are zero (see :func:`objective_scale`).

Anytime curve: with HiGHS every improving incumbent is recorded (its MIP-improving-
solution callback) as ``RawAnswer.trace`` (seconds since ``solve`` began, the answer
read back through the formulation's ``extract``) and ``info['best_trace']``
(``[[seconds, MILP objective], ...]``); with CBC only ``best_trace``, from its log (its
log gives values, not solutions).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any

from qanneal.backends.base import Backend, RawAnswer, merge_options
from qanneal.errors import InputError
from qanneal.model import MilpFormulation

SOLVERS = ("cbc", "highs")


def cbc_path() -> str | None:
    """The CBC executable: PuLP's bundled one, else ``cbc`` on the PATH."""
    try:
        from pulp.apis.coin_api import pulp_cbc_path
    except ImportError:
        return None
    if os.path.isfile(pulp_cbc_path) and os.access(pulp_cbc_path, os.X_OK):
        return pulp_cbc_path
    return shutil.which("cbc")


def available_solvers() -> list[str]:
    """The MILP solvers that can run here (in a fixed order; see :func:`default_solver`)."""
    found = []
    if find_spec("pulp") is not None and cbc_path() is not None:
        found.append("cbc")
    if find_spec("pulp") is not None and find_spec("highspy") is not None:
        found.append("highs")
    return found


def default_solver() -> str:
    """HiGHS when highspy is installed: in-process, it keeps its incumbent when stopped
    at a time limit, where CBC, stopped from outside, often loses it."""
    return "highs" if "highs" in available_solvers() else "cbc"


@dataclass
class SolverRun:
    """What one solver run reported, before the answer is read back."""

    status: str
    solver_status: str
    has_solution: bool = False
    objective: float | None = None  # the MILP's own objective, as the solver reports it
    bound: float | None = None
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: Anytime curve: (seconds since the backend's solve began, MILP objective,
    #: column values in ``columns`` order or None when the solver gave only the value).
    incumbents: list[tuple[float, float, Any]] = field(default_factory=list)
    columns: list[Any] = field(default_factory=list)  # PuLP variables, column order


class MilpBackend(Backend):
    """PuLP MILP solved by CBC or HiGHS, with a time limit enforced from outside.

    >>> import networkx as nx
    >>> from qanneal import solve
    >>> from qanneal.problems.maxcut import maxcut_problem
    >>> result = solve(maxcut_problem(nx.cycle_graph(5)), "milp")
    >>> result.objective, result.status, result.info["gap"]
    (4.0, 'optimal', 0.0)
    """

    name = "milp"
    consumes = "milp"
    description = (f"PuLP MILP ({', '.join(available_solvers()) or 'no solver found'}; "
                   f"default {default_solver()})")
    defaults: dict[str, Any] = {
        "solver": default_solver(),
        "mip_gap": 0.0,  # 0: 'optimal' means proven (HiGHS alone would stop at 1e-4)
        "threads": None,
        "msg": False,
        # Start HiGHS from the formulation's own feasible point (MilpFormulation.start:
        # job-shop's heuristic schedule), reported as such; off: the plain baseline.
        "warm_start": False,
    }

    @classmethod
    def available(cls) -> tuple[bool, str]:
        if available_solvers():
            return True, ""
        return False, "no MILP solver: install PuLP (bundles CBC) or highspy"

    def solve(self, model: MilpFormulation, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        start = time.perf_counter()
        params = _check_params(merge_options(self.name, self.defaults, options))
        deadline = None if time_limit is None else start + float(time_limit)
        stop = getattr(self, "stop_event", None)  # set by the caller on Ctrl-C / give-up
        warm = model.start if params["warm_start"] else None
        if params["warm_start"] and (warm is None or params["solver"] == "cbc"):
            raise InputError("warm_start needs a formulation with a starting point (job-shop "
                             "has one) and the HiGHS solver; leave warm_start off",
                             field="warm_start")
        if params["solver"] == "cbc":
            run = _solve_cbc(model.lp, params, seed, deadline, time_limit, stop, start)
        else:
            run = _solve_highs(model.lp, params, seed, deadline, stop, start, warm)
        info: dict[str, Any] = {
            "status": run.status,
            "solver": params["solver"],
            "solver_status": run.solver_status,
            "formulation": "native" if model.native else "linearised",
            "milp_variables": model.lp.numVariables(),
            "milp_constraints": model.lp.numConstraints(),
            "solver_wall_s": run.wall_s,
            **run.extra,
        }
        solutions: list[Any] = []
        trace = _read_trace(model, run)  # before the final values: it reassigns them
        if run.incumbents:
            info["best_trace"] = [[t, objective] for t, objective, _ in run.incumbents]
        if run.has_solution:
            info["milp_objective"] = lp_objective_value(model.lp)
            solutions.append(model.extract())
        info["bound"] = run.bound
        info["gap"] = relative_gap(info.get("milp_objective"), run.bound)
        info["certifies_objective"] = model.certifies_objective
        if run.status == "optimal" and info["gap"] not in (None, 0.0) and info["gap"] > 1e-9:
            info["status"] = "feasible"  # stopped within a requested gap: not proven
        if time_limit is not None:
            params["time_limit"] = time_limit
        return RawAnswer(solutions=solutions, info=info, params=params, trace=trace)


def _read_trace(model: MilpFormulation, run: SolverRun) -> list[tuple[float, Any]]:
    """Each recorded incumbent read back through ``extract`` (after the solve: decoding
    inside the solver's callback would slow it down), the final values restored after."""
    recorded = [(t, values) for t, _, values in run.incumbents if values is not None]
    if not recorded:
        return []
    final = [var.varValue for var in run.columns]
    trace = []
    for t, values in recorded:
        for var, value in zip(run.columns, values):
            var.varValue = float(value)
        trace.append((t, model.extract()))
    for var, value in zip(run.columns, final):
        var.varValue = value
    return trace


def objective_scale(lp: Any) -> float:
    """A power of two that brings the objective's largest coefficient into [1, 2).

    Why: both solvers compare objective values with *absolute* tolerances -- CBC's
    cutoff increment (1e-5 unless set: a new incumbent must beat the last by that much,
    and nodes whose bound is not that much better are pruned), HiGHS's
    ``mip_feasibility_tolerance`` and ``mip_abs_gap`` (1e-6) in the same role, and the
    LP's dual tolerance (1e-7) on reduced costs. A mean-variance portfolio has
    coefficients of 1e-8..1e-4 and solutions a few 1e-6 apart, so CBC pruned the
    optimum and reported ``optimal`` for a worse lot split (-0.00275421 against
    -0.00275553 on a 2-asset, 100-lot example), and HiGHS did too for 7 of 30 seeds
    even with ``mip_abs_gap`` 0. Scaled, those tolerances become relative
    ones. A power of two is exact in binary floating point, so the scaled MILP has the
    same optima; only objectives with small coefficients are scaled (scaling large
    integer costs down would hide their integrality from the solvers).

    >>> import pulp
    >>> lp = pulp.LpProblem("p", pulp.LpMinimize)
    >>> x = pulp.LpVariable("x", cat="Binary")
    >>> lp += 3e-5 * x
    >>> objective_scale(lp), 3e-5 * objective_scale(lp)
    (65536.0, 1.96608)
    """
    if lp.objective is None:
        return 1.0
    largest = max((abs(float(c)) for c in lp.objective.values()), default=0.0)
    if not 0 < largest < 1 or not math.isfinite(largest):
        return 1.0
    return math.ldexp(1.0, -math.frexp(largest)[1] + 1)


def lp_objective_value(lp: Any) -> float | None:
    """``pulp.value(lp.objective)``, also when the objective is a constant.

    PuLP gives a constant objective an unvalued ``__dummy`` variable, so ``pulp.value``
    returns None for it even after an optimal solve; zero-coefficient terms are skipped.

    >>> import pulp
    >>> lp = pulp.LpProblem("const", pulp.LpMinimize)
    >>> lp.setObjective(pulp.LpAffineExpression([], constant=2.5))
    >>> lp_objective_value(lp)
    2.5
    """
    objective = lp.objective
    if objective is None:
        return None
    total = float(objective.constant)
    for var, coef in objective.items():
        if coef == 0:
            continue
        if var.varValue is None:
            return None
        total += coef * var.varValue
    return total


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / |objective|`` (HiGHS's definition); None when undefined.

    >>> relative_gap(90.0, 100.0), relative_gap(5.0, 5.0), relative_gap(None, 3.0)
    (0.1111111111111111, 0.0, None)
    """
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective else None


def _check_params(params: dict[str, Any]) -> dict[str, Any]:
    solver = str(params["solver"]).lower()
    if solver not in SOLVERS:
        raise InputError(f"unknown MILP solver {params['solver']!r}; allowed: cbc, highs",
                         field="solver")
    if solver not in available_solvers():
        hint = "pip install highspy" if solver == "highs" else "reinstall PuLP (it bundles CBC)"
        raise InputError(f"MILP solver {solver!r} is not installed here ({hint}); available: "
                         f"{', '.join(available_solvers()) or '(none)'}", field="solver")
    gap = params["mip_gap"]
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not 0 <= gap < 1:
        raise InputError(f"expected a relative gap in [0, 1), got {gap!r}", field="mip_gap")
    threads = params["threads"]
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise InputError(f"expected a positive integer, got {threads!r}", field="threads")
    for key in ("msg", "warm_start"):
        if not isinstance(params[key], bool):
            raise InputError(f"expected true or false, got {params[key]!r}", field=key)
    return {**params, "solver": solver, "mip_gap": float(gap)}


# ---------------------------------------------------------------------- CBC
_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.M)
_CBC_INCUMBENT = re.compile(r"Integer solution of (\S+) found", re.M)
_CBC_INCUMBENT_AT = re.compile(
    r"^Cbc0012I Integer solution of (\S+) found .*\((\S+) seconds\)\s*$", re.M)
#: CBC's cutoff increment: a new incumbent must beat the last by this much (absolute,
#: on the scaled objective; CBC's own default is 1e-5, and it raises the increment
#: itself to ~1 for an objective it finds integral, so this costs nothing there).
CBC_INCREMENT = 1e-9


def _solve_cbc(lp: Any, params: dict[str, Any], seed: int | None, deadline: float | None,
               time_limit: float | None, stop: Any = None,
               start: float | None = None) -> SolverRun:
    import pulp

    from qanneal.timeout import run_with_deadline
    from qanneal.watchdog import grace_for

    scale = objective_scale(lp)
    with tempfile.TemporaryDirectory(prefix="qanneal-cbc-") as tmp:
        mps, sol = os.path.join(tmp, "model.mps"), os.path.join(tmp, "model.sol")
        original = lp.objective
        if scale != 1.0:  # the file gets the scaled objective; the model keeps its own
            lp.objective = original * scale
        try:
            variables, var_names, con_names, _ = lp.writeMPS(mps, rename=1)
        finally:
            lp.objective = original
        args = [cbc_path() or "cbc", mps]
        if lp.sense == pulp.LpMaximize:
            args.append("-max")
        outside, grace, more_grace = None, 0.5, 0.0
        if deadline is not None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return SolverRun("time_limit", "budget spent before CBC started")
            args += ["-sec", f"{remaining:.3f}", "-timeMode", "elapsed"]
            # CBC checks its limit only between phases; past a grace period it is stopped
            # (well inside the caller's own watchdog, which allows max(2 s, 20%)). Once
            # its log shows an incumbent, it may use up to 80% of that allowance to stop
            # and write it (a kill loses it: CBC keeps solutions in memory only).
            slack = min(max(0.3, 0.05 * float(time_limit or 0)), 3.0)
            outside, grace = deadline + slack, max(0.5, slack)
            more_grace = max(0.0, 0.8 * grace_for(float(time_limit or 0)) - slack - grace)
        # Zero gaps and a tiny increment: 'optimal' must mean proven (see objective_scale).
        args += ["-ratio", repr(params["mip_gap"]), "-allowableGap", "0",
                 "-increment", repr(CBC_INCREMENT)]
        if params["threads"] is not None:
            args += ["-threads", str(params["threads"])]
        if seed is not None:
            args += ["-randomCbcSeed", str(seed % (2**31 - 1) + 1)]
        args += ["-solve", "-solution", sol]
        proc = run_with_deadline(args, deadline=outside, grace=grace,
                                 echo=sys.stderr if params["msg"] else None, stop=stop,
                                 more_grace=more_grace,
                                 worth_waiting=lambda out: "Integer solution of" in out)
        log = proc.output
        # Where CBC's clock started, on the backend's (seconds since solve began).
        began = 0.0 if start is None else time.perf_counter() - proc.elapsed_s - start
        extra: dict[str, Any] = {}
        if proc.interrupted:
            extra["stopped_from_outside"] = "killed" if proc.killed else "interrupted"
        result = _CBC_RESULT.findall(log)
        solver_status = result[-1].strip() if result else ""
        first_line = ""
        if os.path.exists(sol):
            with open(sol) as f:
                first_line = f.readline().strip()
        if not first_line:  # killed, or crashed before writing a solution
            incumbents = _CBC_INCUMBENT.findall(log)
            if proc.interrupted:
                if incumbents:
                    extra["lost_incumbent"] = _signed(lp, float(incumbents[-1]) / scale)
                return SolverRun("time_limit", solver_status or "killed after the time limit",
                                 wall_s=proc.elapsed_s, extra=extra,
                                 incumbents=_cbc_curve(lp, log, scale, began))
            tail = " | ".join(line for line in log.strip().splitlines()[-3:])
            extra["message"] = f"CBC exited with code {proc.returncode}: {tail}"
            return SolverRun("error", solver_status or f"exit code {proc.returncode}",
                             wall_s=proc.elapsed_s, extra=extra)
        reader = pulp.COIN_CMD(path=args[0], msg=False)
        _, values, *_rest, sol_status = reader.readsol_MPS(sol, lp, variables, var_names,
                                                           con_names)
        has_solution = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        if has_solution:
            lp.assignVarsVals(values)
    status = _cbc_status(first_line, proc.interrupted, has_solution)
    constant = float(lp.objective.constant) if lp.objective is not None else 0.0
    bounds = _CBC_BOUND.findall(log)
    bound = float(bounds[-1]) / scale + constant if bounds else None
    if status == "optimal" and bound is None:
        bound = lp_objective_value(lp)
    return SolverRun(status, solver_status or first_line, has_solution=has_solution,
                     bound=bound, wall_s=proc.elapsed_s, extra=extra,
                     incumbents=_cbc_curve(lp, log, scale, began))


def _cbc_curve(lp: Any, log: str, scale: float, began: float
               ) -> list[tuple[float, float, Any]]:
    """CBC's incumbents from its log: values only (its log has no variables), at CBC's
    own clock (elapsed, or CPU without a time limit) shifted to the backend's."""
    curve: list[tuple[float, float, Any]] = []
    for value, seconds in _CBC_INCUMBENT_AT.findall(log):
        try:
            point = (began + float(seconds), _signed(lp, float(value) / scale), None)
        except ValueError:
            continue
        if not curve or point[1] != curve[-1][1]:
            curve.append(point)
    return curve


def _cbc_status(first_line: str, interrupted: bool, has_solution: bool) -> str:
    """Our status word from the first line of CBC's solution file."""
    word = first_line.split(" ", 1)[0]
    if word == "Optimal":
        return "optimal"
    if word in ("Infeasible", "Integer"):  # "Integer infeasible"
        return "infeasible"
    if word == "Unbounded":
        return "unbounded"
    if word == "Stopped":
        if "time" in first_line or "ctrl-c" in first_line.lower() or interrupted:
            return "time_limit"
        return "feasible" if has_solution else "error"
    return "feasible" if has_solution else "error"


def _signed(lp: Any, internal: float) -> float:
    """CBC logs incumbents minimised: flip back for a maximisation, add the constant."""
    import pulp

    value = -internal if lp.sense == pulp.LpMaximize else internal
    return value + (float(lp.objective.constant) if lp.objective is not None else 0.0)


# ---------------------------------------------------------------------- HiGHS
def _solve_highs(lp: Any, params: dict[str, Any], seed: int | None,
                 deadline: float | None, stop: Any = None,
                 start: float | None = None, warm: Mapping[str, float] | None = None
                 ) -> SolverRun:
    import highspy
    import numpy as np
    import pulp

    with _c_stdout_silenced():  # HiGHS prints a banner to fd 1 on first construction
        h = highspy.Highs()
    h.setOptionValue("output_flag", bool(params["msg"]))
    h.setOptionValue("log_to_console", False)
    if params["msg"]:  # the log goes to stderr: stdout may be carrying --json -
        h.cbLogging.subscribe(lambda e: (sys.stderr.write(e.message), sys.stderr.flush()))
    h.setOptionValue("mip_rel_gap", params["mip_gap"])
    # HiGHS would also stop within 1e-6 absolute; with the objective scaled (see
    # objective_scale) a zero absolute gap makes 'optimal' mean proven.
    h.setOptionValue("mip_abs_gap", 0.0)
    if params["threads"] is not None:
        h.setOptionValue("threads", int(params["threads"]))
    if seed is not None:
        h.setOptionValue("random_seed", int(seed % (2**31 - 1)))

    def out_of_time() -> bool:
        return (deadline is not None and time.perf_counter() >= deadline) or (
            stop is not None and stop.is_set())

    scale = objective_scale(lp)
    loaded = _load_into_highs(h, lp, highspy, np, pulp, out_of_time, scale)
    if loaded is None:
        return SolverRun("time_limit", "budget spent loading the model into HiGHS")
    variables, cost = loaded
    constant = float(lp.objective.constant) if lp.objective is not None else 0.0
    if warm is not None:  # a MIP start: HiGHS checks it and keeps it if feasible
        point = highspy.HighsSolution()
        point.col_value = [float(warm.get(v.name, 0.0)) for v in variables]
        point.value_valid = True
        h.setSolution(point)
    if deadline is not None:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return SolverRun("time_limit", "budget spent before HiGHS started")
        h.setOptionValue("time_limit", remaining)

    def interrupt(event: Any) -> None:  # HiGHS checks its own limit too rarely
        if out_of_time():
            event.interrupt()

    for callback in (h.cbMipInterrupt, h.cbSimplexInterrupt, h.cbIpmInterrupt):
        callback.subscribe(interrupt)
    origin = time.perf_counter() if start is None else start
    incumbents: list[tuple[float, float, Any]] = []

    def improved(event: Any) -> None:  # copy only: extract runs after the solve
        values = np.array(event.data_out.mip_solution, dtype=float)
        if len(values) == len(variables):  # the original model's columns
            # Our own objective of the values (not HiGHS's, which is the scaled one).
            incumbents.append((time.perf_counter() - origin,
                               float(cost @ values) + constant, values))

    h.cbMipImprovingSolution.subscribe(improved)
    started = time.perf_counter()
    h.run()
    wall = time.perf_counter() - started
    model_status = h.getModelStatus()
    info = h.getInfo()
    # kSolutionStatusFeasible; an empty model (no columns: e.g. a QUBO whose biases
    # are all zero) is solved by any assignment, though HiGHS reports no solution.
    has_solution = (info.primal_solution_status == 2 or model_status.name == "kModelEmpty")
    if has_solution:
        final = np.array(h.getSolution().col_value, dtype=float)
        for var, value in zip(variables, final):
            var.varValue = value
        value = float(cost @ final) + constant if len(final) == len(variables) else None
        if value is not None and (not incumbents or abs(incumbents[-1][1] - value)
                                  > 1e-9 * max(1.0, abs(value))):
            # Not reported by the callback (an LP, an empty model): the curve still
            # ends with the answer returned, at the latest time it can have been found.
            incumbents.append((time.perf_counter() - origin, value, final))
    status = _highs_status(model_status.name, has_solution)
    integer = any(v.cat == pulp.LpInteger for v in variables)
    if model_status.name == "kModelEmpty":  # HiGHS reports 0 there, not the offset
        bound = constant
    elif integer:
        bound = float(info.mip_dual_bound)
        # HiGHS's bound includes the (scaled) offset: unscale the whole value.
        bound = bound / scale if math.isfinite(bound) else None
    else:
        bound = (float(info.objective_function_value) / scale if status == "optimal"
                 else None)
    return SolverRun(status, model_status.name, has_solution=has_solution, bound=bound,
                     wall_s=wall, incumbents=incumbents, columns=variables)


def _highs_status(name: str, has_solution: bool) -> str:
    if name in ("kOptimal", "kModelEmpty"):
        return "optimal"
    if name in ("kTimeLimit", "kInterrupt", "kHighsInterrupt"):
        return "time_limit"
    if name == "kInfeasible":
        return "infeasible"
    if name in ("kUnbounded", "kUnboundedOrInfeasible"):
        return "unbounded"
    return "feasible" if has_solution else "error"


def _load_into_highs(h: Any, lp: Any, highspy: Any, np: Any, pulp: Any,
                     out_of_time: Any, scale: float = 1.0) -> tuple[list[Any], Any] | None:
    """Pass the PuLP model to HiGHS in bulk (PuLP's adapter adds rows one call at a time:
    5 s for the 500k rows of a linearised dense 1000-variable QUBO), its objective
    multiplied by ``scale`` (:func:`objective_scale`).

    Returns the PuLP variables in column order and their (unscaled) costs, or None if
    ``out_of_time()`` turned true while reading the rows (checked every 10,000 rows)."""
    variables = lp.variables()
    index = {id(v): i for i, v in enumerate(variables)}
    n = len(variables)
    inf = highspy.kHighsInf
    cost = np.zeros(n)
    if lp.objective is not None:
        for var, coefficient in lp.objective.items():
            cost[index[id(var)]] = coefficient
    lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], float)
    upper = np.array([inf if v.upBound is None else v.upBound for v in variables], float)
    empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0)
    h.addCols(n, cost * scale, lower, upper, 0, empty_i, empty_i, empty_f)
    integer = np.array([i for i, v in enumerate(variables) if v.cat == pulp.LpInteger],
                       np.int32)
    if len(integer):
        h.changeColsIntegrality(len(integer), integer,
                                np.full(len(integer), highspy.HighsVarType.kInteger.value,
                                        np.uint8))
    starts, indices, values, row_lower, row_upper = [], [], [], [], []
    for row, constraint in enumerate(lp.constraints()):
        if row % 10_000 == 0 and out_of_time():
            return None
        starts.append(len(indices))
        for var, coefficient in constraint.items():
            if coefficient:
                indices.append(index[id(var)])
                values.append(coefficient)
        lb, ub = constraint.getLb(), constraint.getUb()
        row_lower.append(-inf if lb is None else lb)
        row_upper.append(inf if ub is None else ub)
    if starts:
        h.addRows(len(starts), np.array(row_lower, float), np.array(row_upper, float),
                  len(indices), np.array(starts, np.int32), np.array(indices, np.int32),
                  np.array(values, float))
    if lp.sense == pulp.LpMaximize:
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if lp.objective is not None and lp.objective.constant:
        h.changeObjectiveOffset(float(lp.objective.constant) * scale)
    return variables, cost


@contextmanager
def _c_stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null: HiGHS writes its banner there from C++,
    past ``sys.stdout``, and it would corrupt a ``--json -`` document on stdout."""
    import ctypes

    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        try:
            ctypes.CDLL(None).fflush(None)  # flush C stdio while it still points at /dev/null
        except (OSError, AttributeError):
            pass
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
