"""Fuzzing problem files: any input gives a problem or the project's own one-line error."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qanneal.errors import QanError
from qanneal.registry import problem_type_names
from qanneal.spec import load

KEYS = ["problem", "name", "data", "options", "backends", "seed", "time_limit",
        "known_optimum", "penalties", "probelm", "extra"]
DATA_KEYS = ["edges", "nodes", "terms", "file", "format", "vartype", "offset", "matrix",
             "coords", "jobs", "durations", "k", "returns"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(DATA_KEYS), inner, max_size=4)),
    max_leaves=20)
edges = st.lists(st.lists(st.one_of(st.integers(-3, 12), st.floats(), st.text(max_size=3)),
                          min_size=0, max_size=4), max_size=8)
documents = st.fixed_dictionaries(
    {"problem": st.one_of(st.sampled_from(problem_type_names()), scalars)},
    optional={k: values for k in KEYS[1:]} | {"data": st.one_of(
        values, st.fixed_dictionaries({}, optional={"edges": edges, "terms": edges}))})


def _check(tmp_path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load(path)
    except QanError as exc:
        message = exc.one_line()
        assert "\n" not in message and message
        assert "fuzz.yaml" in message, message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents)
def test_structured_documents(tmp_path, doc):
    _check(tmp_path, yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("problem: maxcut\ndata{}[],-0123 \"'&*!|>#")),
               max_size=80))
def test_yaml_token_soup(tmp_path, text):
    _check(tmp_path, text)
