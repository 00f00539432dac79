"""Hardened YAML for problem files, run manifests and command-line values.

``yaml.safe_load`` never runs code, but a hostile file can still hurt: an alias bomb
expands a few lines into gigabytes the moment anything walks or prints the value,
5000 levels of nesting exhaust the recursion limit, a 5000-digit integer trips
Python's int-conversion limit, ``.nan``/``.inf`` and ``1e308`` slip through to
obscure failures far away, a duplicate key silently keeps the last value, and an ANSI
escape in a name is echoed to the terminal. :func:`load_yaml` keeps safe_load
semantics (the same tags, the same Python values) and refuses each of these with a
:class:`YamlLimitError` that carries the line, so callers report one line.

Limits (all far above what a real problem file needs):

- nesting: :data:`MAX_DEPTH` levels;
- aliases: may add at most :data:`MAX_ALIAS_NODES` nodes to the document once expanded;
  a recursive alias is refused;
- integers: ``|n| < 2**63`` (int64, what every solver and numpy takes), checked on the
  digit count before any conversion;
- floats: finite and ``|x| <= 2**63`` (larger weights overflow once squared or summed
  in a QUBO);
- mapping keys: each at most once (merge keys ``<<`` may still be overridden);
- strings: no control characters but tab, and newlines only in block scalars (``|``, ``>``).
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:  # libyaml parses ~5x faster and bounds nesting at 1000 levels itself
    from yaml.cyaml import CParser as _Parser

    _FAST = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    _FAST = False

#: Deepest nesting of collections (a problem file needs about five levels).
MAX_DEPTH = 64
#: Nodes that aliases may add to a document once expanded.
MAX_ALIAS_NODES = 100_000
#: Integers and floats must lie strictly within +-NUMBER_LIMIT.
NUMBER_LIMIT = 2**63
#: More digits than this cannot be below NUMBER_LIMIT (leading zeros aside).
_MAX_DIGITS = 19

_MERGE_TAG = "tag:yaml.org,2002:merge"
# C0 controls but tab and newline, DEL, C1 controls; newline is checked apart.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class YamlLimitError(yaml.MarkedYAMLError):
    """A document refused by a limit of :func:`load_yaml` (``problem_mark`` has the line)."""

    def __init__(self, problem: str, node: Node | None = None) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark if node else None)
        self.node = node


class _Constructor(SafeConstructor):
    """SafeConstructor with bounded numbers, unique keys and printable strings."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(node.value).replace("_", "").lstrip("+-")
        digits = text[2:] if text[:2].lower() in ("0x", "0o", "0b") else text
        if len(digits.lstrip("0")) > _MAX_DIGITS and ":" not in digits:
            raise YamlLimitError(f"integer with {len(digits)} digits; integers must be "
                                 "between -2**63 and 2**63", node)
        value = super().construct_yaml_int(node)
        if abs(value) >= NUMBER_LIMIT:
            raise YamlLimitError(f"integer {_short(node.value)} is out of range; integers "
                                 "must be between -2**63 and 2**63", node)
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise YamlLimitError(f"{_short(node.value)} is not a finite number; NaN and "
                                 "infinities are not allowed in this file", node)
        if abs(value) >= NUMBER_LIMIT:
            raise YamlLimitError(f"{_short(node.value)} is too large; numbers must be "
                                 "between -2**63 and 2**63 (about 9.2e18): rescale the data",
                                 node)
        return value

    def construct_yaml_str(self, node: ScalarNode) -> str:
        value = super().construct_yaml_str(node)
        bad = _CONTROL_RE.search(value)
        if bad:
            raise YamlLimitError(f"control character {bad.group()!r} in a string; "
                                 "text must be printable", node)
        if "\n" in value and node.style not in ("|", ">"):
            raise YamlLimitError("line break in a string; write it on one line", node)
        return value

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # unhashable: SafeConstructor reports it
                    continue
                if first is not key_node:
                    raise YamlLimitError(
                        f"duplicate key {_short(str(key))} (first on line "
                        f"{first.start_mark.line + 1}); give each key once", key_node)
        return super().construct_mapping(node, deep)


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)
_Constructor.add_constructor("tag:yaml.org,2002:str", _Constructor.construct_yaml_str)


if _FAST:
    class _Loader(_Parser, _Constructor, Resolver):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)
else:  # pragma: no cover
    class _Loader(Reader, Scanner, _Parser, Composer, _Constructor, Resolver):  # type: ignore[misc,no-redef]
        _depth = 0

        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _Parser.__init__(self)
            Composer.__init__(self)
            _Constructor.__init__(self)
            Resolver.__init__(self)

        def compose_node(self, parent: Node | None, index: Any) -> Node:
            # The pure-Python composer recurses per level: stop before the stack does.
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep",
                                         None)
                return Composer.compose_node(self, parent, index)
            finally:
                self._depth -= 1


def compose_yaml(text: str) -> Node | None:
    """Parse ``text`` into a node graph and check nesting and alias expansion."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is not None:
        check_node(node)
    return node


def construct_yaml(node: Node | None) -> Any:
    """The Python value of a node from :func:`compose_yaml` (safe_load's types)."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)`` with the limits of this module (raises :class:`yaml.YAMLError`).

    >>> load_yaml("a: [1, 2.5, x]")
    {'a': [1, 2.5, 'x']}
    >>> try:
    ...     load_yaml("a: 1\\na: 2")
    ... except YamlLimitError as exc:
    ...     print(exc.problem, "- line", exc.problem_mark.line + 1)
    duplicate key 'a' (first on line 1); give each key once - line 2
    """
    return construct_yaml(compose_yaml(text))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_node(root: Node) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH`, recursive aliases, and aliases
    that would expand the document by more than :data:`MAX_ALIAS_NODES` nodes.

    Iterative, and linear in the number of distinct nodes: an alias bomb is measured
    without being expanded. Scalars (most of a document) are counted inline, never
    pushed or memoised: this pass costs a fraction of the parse.
    """
    if not isinstance(root, (SequenceNode, MappingNode)):
        return
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total, deepest = 1, 1
            for child in _children(node):
                if isinstance(child, ScalarNode):
                    total += 1
                    deepest = deepest if deepest > 2 else 2
                else:
                    total += size[id(child)]
                    deepest = max(deepest, depth[id(child)] + 1)
            size[key], depth[key] = total, deepest
            if deepest > MAX_DEPTH:
                raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep", node)
            if total - distinct > MAX_ALIAS_NODES:
                raise YamlLimitError(f"aliases expand to more than {MAX_ALIAS_NODES} extra "
                                     "values (an alias bomb?); write the values out", node)
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLimitError("recursive alias (a value that contains itself)", node)
        on_path.add(key)
        children = _children(node)
        distinct += 1 + len(children)  # scalars shared by aliases are over-counted: harmless
        stack.append((node, True))
        stack.extend((c, False) for c in children
                     if not isinstance(c, ScalarNode) and id(c) not in size)


def node_path(root: Node | None, target: Node | None) -> tuple[Any, ...] | None:
    """Where ``target`` sits under ``root``: mapping keys and sequence indexes
    (``('backends', 'sa', 'seed')``), or None when it is not found."""
    if root is None or target is None:
        return None
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, where = stack.pop()
        if node is target:
            return where
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, where + (i,)) for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                if key is target:
                    return where + (name,)
                stack.append((value, where + (name,)))
    return None


def _short(text: str, limit: int = 40) -> str:
    text = repr(text) if not isinstance(text, str) else text
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")
