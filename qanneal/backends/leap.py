"""``qpu``, ``hybrid``, ``hybrid-cqm``: D-Wave Leap through dwave-system.

- ``qpu``: ``DWaveSampler`` behind ``EmbeddingComposite`` (minorminer). The chain
  strength is dwave-system's own heuristic (``uniform_torque_compensation``) unless set.
  It reports the chain-break fraction, the embedding's size and the QPU's own timing
  (microseconds, as the sampleset gives it) -- never mixed with our wall-clock timing.
  With ``mock: true`` the QPU is dwave-system's ``MockDWaveSampler`` (a simulated
  annealer on a real Pegasus/Zephyr/Chimera graph) behind the same composite, so
  embedding and chain handling are real and a QPU run can be rehearsed offline.
- ``hybrid``: ``LeapHybridSampler`` on the penalised BQM.
- ``hybrid-cqm``: ``LeapHybridCQMSampler`` on the CQM itself; its own feasibility flags
  are reported beside ours.

A token from the usual dwave-cloud-client configuration (``DWAVE_API_TOKEN`` or a
``dwave config`` file) decides availability, checked without network. Cloud errors
become one-line :class:`~qanneal.errors.BackendError` s, with the token scrubbed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dimod

from qanneal.backends.base import Backend, RawAnswer, derive_seeds, merge_options
from qanneal.errors import BackendError, InputError, QanError

NO_TOKEN = ("no D-Wave API token: set DWAVE_API_TOKEN or run `dwave config create`; "
            "to rehearse offline use -o mock=true")
NO_TOKEN_HYBRID = "no D-Wave API token: set DWAVE_API_TOKEN or run `dwave config create`"
TOPOLOGIES = ("pegasus", "zephyr", "chimera")
#: Mock QPU graphs the size of the production systems (Advantage, Advantage2, DW-2000Q).
MOCK_SHAPES: dict[str, list[int]] = {"pegasus": [16], "zephyr": [12, 4], "chimera": [16, 16, 4]}
#: Sweeps of the simulated annealer standing in for the mock QPU: a short anneal, so the
#: mock behaves like a noisy sampler rather than an exact solver.
MOCK_SWEEPS = 100


def api_token() -> str | None:
    """The token dwave-cloud-client would use (environment or config file), or None.

    Reads configuration only; no network.
    """
    from dwave.cloud.config import load_config

    try:
        config = load_config()
    except Exception:  # a malformed config file is "no usable token", not a crash
        return None
    token = config.get("token")
    return str(token) if token else None


def scrub(message: str, token: str | None) -> str:
    """``message`` with the API token (if any) replaced, so it can be shown or logged.

    >>> scrub("401 for token abc-123", "abc-123")
    '401 for token ***'
    """
    text = " ".join(str(message).split())
    if token:
        text = text.replace(token, "***")
    return text


@contextmanager
def cloud_errors(backend: str) -> Iterator[None]:
    """Turn anything the cloud client raises into one line naming the backend, token-free."""
    try:
        yield
    except QanError:
        raise
    except Exception as exc:
        message = scrub(f"{type(exc).__name__}: {exc}", api_token())
        raise BackendError(backend, message) from None  # the chain could hold the token


class _LeapBackend(Backend):
    """What the three Leap backends share: the token check and the solver selection."""

    no_token_reason = NO_TOKEN_HYBRID

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import dwave.cloud  # noqa: F401
            import dwave.system  # noqa: F401
        except ImportError as exc:
            return False, f"dwave-system is not installed ({exc}); pip install dwave-system"
        if api_token() is None:
            return False, cls.no_token_reason
        return True, ""

    @staticmethod
    def _solver_filter(params: dict[str, Any]) -> dict[str, Any]:
        if params.get("solver") is not None:
            return {"solver": str(params["solver"])}
        if params.get("topology") is not None:
            return {"solver": {"topology__type": params["topology"]}}
        return {}


class QpuBackend(_LeapBackend):
    """A D-Wave QPU (or its offline mock) with automatic minor embedding.

    >>> import dimod
    >>> bqm = dimod.BQM({"a": -1.0, "b": 1.0}, {("a", "b"): -2.0}, 0.0, "SPIN")
    >>> raw = QpuBackend().solve(bqm, seed=1, mock=True, num_reads=10)
    >>> float(raw.sampleset.first.energy), raw.info["qpu_simulated"]
    (-2.0, True)
    """

    name = "qpu"
    consumes = "bqm"
    description = "D-Wave QPU via Leap (EmbeddingComposite; -o mock=true runs offline)"
    no_token_reason = NO_TOKEN
    defaults: dict[str, Any] = {
        "num_reads": 100,
        "annealing_time": None,  # microseconds; None: the solver's default
        "chain_strength": None,  # None: uniform torque compensation (dwave-system)
        "solver": None,
        "topology": None,
        "mock": False,
        "label": "qanneal",
    }

    @classmethod
    def available_for(cls, options: dict[str, Any]) -> tuple[bool, str]:
        if options.get("mock"):  # a malformed value is refused by solve, in one line
            return True, ""  # a simulated QPU needs no token
        return cls.available()

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        from dwave.system import EmbeddingComposite

        params = _check_qpu_params(merge_options(self.name, self.defaults, options))
        # The run's seed may be any non-negative integer (the CLI draws 32 bits), but
        # dwave-samplers' SA and minorminer take 31 bits: each gets its own seed derived
        # from the run's, in its range (a modulo would make seeds 2**31 apart collide).
        mock_seed, embedding_seed = (None, None) if seed is None else derive_seeds(seed, 2)
        if params["mock"]:
            child = _mock_sampler(params["topology"] or "pegasus", mock_seed)
        else:
            from dwave.system import DWaveSampler

            with cloud_errors(self.name):
                child = DWaveSampler(**self._solver_filter(params))
        kwargs: dict[str, Any] = {"num_reads": params["num_reads"], "return_embedding": True,
                                  "label": params["label"]}
        if params["annealing_time"] is not None:
            kwargs["annealing_time"] = params["annealing_time"]
        if params["chain_strength"] is not None:
            kwargs["chain_strength"] = params["chain_strength"]
        if embedding_seed is not None:  # minorminer's embedding is randomised: replayable
            kwargs["embedding_parameters"] = {"random_seed": embedding_seed}
        with cloud_errors(self.name), warnings.catch_warnings():
            # The mock warns that annealing_time is "valid but not mocked": said in info.
            warnings.simplefilter("ignore", UserWarning)
            sampleset = EmbeddingComposite(child).sample(model, **kwargs)
            sampleset.resolve()  # a cloud sampleset is a future: fail here, in one line
        info = qpu_info(sampleset)
        info["qpu_simulated"] = bool(params["mock"])
        if params["mock"]:
            info["qpu_note"] = (f"simulated QPU: MockDWaveSampler on {child.properties['topology']}"
                                f" with {MOCK_SWEEPS}-sweep simulated annealing; its qpu "
                                "timing is dwave-system's fixed demonstration values, and "
                                "annealing_time is not simulated")
        else:
            info["solver_name"] = getattr(getattr(child, "solver", None), "name", None)
        params["chain_strength_used"] = info.get("chain_strength")
        return RawAnswer(sampleset=sampleset, info=info, params=params)


class HybridBackend(_LeapBackend):
    """Leap's hybrid BQM solver on the penalised BQM."""

    name = "hybrid"
    consumes = "bqm"
    description = "D-Wave Leap hybrid BQM solver (LeapHybridSampler)"
    defaults: dict[str, Any] = {"solver": None, "label": "qanneal"}

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        from dwave.system import LeapHybridSampler

        params = merge_options(self.name, self.defaults, options)
        with cloud_errors(self.name):
            sampler = LeapHybridSampler(**self._solver_filter(params))
            limit = _hybrid_time_limit(sampler.min_time_limit(model), time_limit)
            sampleset = sampler.sample(model, time_limit=limit, label=params["label"])
            sampleset.resolve()
        params["time_limit_sent"] = limit
        info = {"solver_name": sampler.solver.name, **hybrid_timing(sampleset)}
        return RawAnswer(sampleset=sampleset, info=info, params=params)


class HybridCqmBackend(_LeapBackend):
    """Leap's hybrid CQM solver on the constrained model itself (no penalties)."""

    name = "hybrid-cqm"
    consumes = "cqm"
    description = "D-Wave Leap hybrid CQM solver (LeapHybridCQMSampler)"
    defaults: dict[str, Any] = {"solver": None, "label": "qanneal"}

    def solve(self, model: dimod.ConstrainedQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        from dwave.system import LeapHybridCQMSampler

        params = merge_options(self.name, self.defaults, options)
        with cloud_errors(self.name):
            sampler = LeapHybridCQMSampler(**self._solver_filter(params))
            limit = _hybrid_time_limit(sampler.min_time_limit(model), time_limit)
            sampleset = sampler.sample_cqm(model, time_limit=limit, label=params["label"])
            sampleset.resolve()
        params["time_limit_sent"] = limit
        info = {"solver_name": sampler.solver.name, **hybrid_timing(sampleset),
                **solver_feasibility(sampleset)}
        return RawAnswer(sampleset=sampleset, info=info, params=params)


# ---------------------------------------------------------------------- helpers
def _check_qpu_params(params: dict[str, Any]) -> dict[str, Any]:
    reads = params["num_reads"]
    if isinstance(reads, bool) or not isinstance(reads, int) or not 1 <= reads <= 10_000:
        raise InputError(f"expected an integer from 1 to 10000, got {reads!r}",
                         field="num_reads")
    for key in ("annealing_time", "chain_strength"):
        value = params[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value <= 0):
            raise InputError(f"expected a positive number, got {value!r}", field=key)
    topology = params["topology"]
    if topology is not None and str(topology).lower() not in TOPOLOGIES:
        raise InputError(f"unknown topology {topology!r}; allowed: {', '.join(TOPOLOGIES)}",
                         field="topology")
    if not isinstance(params["mock"], bool):
        raise InputError(f"expected true or false, got {params['mock']!r}", field="mock")
    if params["mock"] and params["solver"] is not None:
        raise InputError("a mock QPU has no solver name; give topology instead",
                         field="solver")
    return {**params, "topology": None if topology is None else str(topology).lower()}


def _mock_sampler(topology: str, seed: int | None) -> Any:
    """dwave-system's simulated QPU; ``seed`` (below 2**31) seeds its annealer."""
    from dwave.samplers import SimulatedAnnealingSampler
    from dwave.system.testing import MockDWaveSampler

    substitute: dict[str, Any] = {"num_sweeps": MOCK_SWEEPS}
    if seed is not None:
        if not 0 <= seed < 2**31:  # dwave-samplers rejects 2**31 and above
            raise ValueError(f"mock QPU seed {seed} is outside [0, 2**31)")
        substitute["seed"] = seed
    # exact_solver_cutoff=0: the mock would otherwise plant the exact ground state of
    # small problems in its first read -- a QPU never does that.
    return MockDWaveSampler(topology_type=topology, topology_shape=MOCK_SHAPES[topology],
                            substitute_sampler=SimulatedAnnealingSampler(),
                            substitute_kwargs=substitute, exact_solver_cutoff=0,
                            parameter_warnings=False)


def qpu_info(sampleset: dimod.SampleSet) -> dict[str, Any]:
    """Chain breaks, embedding size and QPU timing of an ``EmbeddingComposite`` answer.

    QPU times stay in microseconds under ``qpu_timing_us`` (as the sampleset gives them);
    ``qpu_access_time_s`` is the one converted figure, labelled in its name.
    """
    info: dict[str, Any] = {}
    record = sampleset.record
    if "chain_break_fraction" in record.dtype.names and len(record):
        weights = record.num_occurrences
        info["chain_break_fraction"] = float((record.chain_break_fraction * weights).sum()
                                             / weights.sum())
        info["reads_with_chain_breaks"] = int(weights[record.chain_break_fraction > 0].sum())
    context = sampleset.info.get("embedding_context", {})
    embedding = context.get("embedding")
    if embedding:
        lengths = [len(chain) for chain in embedding.values()]
        info["embedding"] = {"logical_variables": len(lengths),
                             "physical_qubits": int(sum(lengths)),
                             "max_chain_length": int(max(lengths)),
                             "mean_chain_length": float(sum(lengths) / len(lengths))}
    if "chain_strength" in context:  # None when every chain is a single qubit
        strength = context["chain_strength"]
        info["chain_strength"] = None if strength is None else float(strength)
    embedding_timing = context.get("timing", {})
    if "embedding" in embedding_timing:
        info["embedding_time_s"] = float(embedding_timing["embedding"])
    timing = sampleset.info.get("timing")
    if timing:
        info["qpu_timing_us"] = {k: float(v) for k, v in timing.items()}
        if "qpu_access_time" in timing:
            info["qpu_access_time_s"] = float(timing["qpu_access_time"]) / 1e6
    return info


def hybrid_timing(sampleset: dimod.SampleSet) -> dict[str, Any]:
    """A hybrid solver's own timing (microseconds), plus the QPU share in seconds."""
    timing = {k: float(v) for k, v in sampleset.info.items()
              if k in ("run_time", "charge_time", "qpu_access_time")}
    out: dict[str, Any] = {"solver_timing_us": timing} if timing else {}
    if "qpu_access_time" in timing:
        out["qpu_access_time_s"] = timing["qpu_access_time"] / 1e6
    return out


def solver_feasibility(sampleset: dimod.SampleSet) -> dict[str, Any]:
    """How many samples the CQM solver itself calls feasible (ours is reported apart)."""
    record = sampleset.record
    if "is_feasible" not in record.dtype.names:
        return {}
    weights = record.num_occurrences
    return {"solver_feasible": int(weights[record.is_feasible].sum()),
            "solver_samples": int(weights.sum())}


def _hybrid_time_limit(minimum: float, requested: float | None) -> float:
    """The solver's minimum time limit, or ``requested`` when that is longer."""
    return float(minimum if requested is None else max(minimum, requested))

