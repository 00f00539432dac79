"""The same comparison on the local process pool and on a Dask LocalCluster: same answers."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from qanneal.compare import compare

pytest.importorskip("distributed")


def _problem(path, n, seed):
    graph = nx.gnm_random_graph(n, 3 * n, seed=seed)
    edges = [[u, v, 1 + (u * 5 + v * 11 + seed) % 7] for u, v in graph.edges]
    path.write_text(f"problem: maxcut\nname: g{n}-{seed}\ndata:\n  edges: {json.dumps(edges)}\n")
    return path


def _answers(c):
    return {(r["problem_index"], r["backend"], r["repeat"]): (r["seed"], r["objective"],
                                                              r["solution"]) for r in c.runs}


def test_local_and_dask_give_identical_runs(tmp_path):
    files = [_problem(tmp_path / "a.yaml", 40, 1), _problem(tmp_path / "b.yaml", 30, 2)]
    # Short, single-read anneals: answers differ from seed to seed, so equal answers
    # mean equal seeds were derived and used on both executors.
    backends = {"sa": {"num_reads": 1, "num_sweeps": 20}}
    runs = {}
    for executor in ("local", "dask"):
        c = compare(files, backends, repeats=3, seed=123, executor=executor, workers=2,
                    out=tmp_path / executor)
        assert c.finished == c.planned == 6 and c.settings["executor"] == executor
        runs[executor] = _answers(c)
    assert runs["local"] == runs["dask"]
    objectives = [obj for _, obj, _ in runs["local"].values()]
    assert len(set(objectives)) > 2, "the instances are too easy to tell seeds apart"
    lines = (tmp_path / "dask" / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 6 and all(json.loads(line)["status"] == "ok" for line in lines)


def test_existing_scheduler_by_address(tmp_path):
    from distributed import LocalCluster

    files = [_problem(tmp_path / "a.yaml", 30, 3)]
    backends = {"sa": {"num_reads": 1, "num_sweeps": 20}, "exact": {}}
    serial = compare(files, {"sa": backends["sa"]}, repeats=2, seed=5, executor="serial")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster:
        c = compare(files, backends, repeats=2, seed=5, executor=cluster.scheduler_address)
    assert c.settings["executor"].startswith("tcp://") and c.settings["workers"] == 2
    by_backend = {r["backend"]: r for r in c.summary}
    # exact refuses 30 variables: its rows say so, the sa runs complete
    assert by_backend["exact"]["errors"] == 2 and "at most 24 variables" in by_backend[
        "exact"]["error"]
    assert {k: v for k, v in _answers(c).items() if k[1] == "sa"} == _answers(serial)
