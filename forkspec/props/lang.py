"""The condition language shared by spec expectations and the property library.

A condition is a Python expression restricted to a whitelist (comparisons, boolean
logic, arithmetic, `in`, comprehensions over the collections a state exposes, and a
few pure functions). It is validated once against its allowed names and then
evaluated with no builtins, so a spec file can never run arbitrary code. The
validated `ast` is kept: a symbolic engine can translate the same tree.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from forkspec.errors import Span, SpecError

_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Invert, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Mod, ast.FloorDiv, ast.BitAnd,
    ast.BitOr, ast.BitXor, ast.LShift, ast.RShift, ast.Compare, ast.Eq, ast.NotEq, ast.Lt,
    ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.Call, ast.Attribute, ast.List, ast.Tuple, ast.Set, ast.Subscript, ast.Slice,
    ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.comprehension, ast.IfExp,
)

STRING_METHODS = frozenset(
    {"count", "startswith", "endswith", "splitlines", "split", "find", "strip", "index",
     "lower", "upper", "replace"}
)


def _matches(s: str, pattern: str) -> bool:
    return re.fullmatch(pattern, s, re.DOTALL) is not None


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "len": len, "sorted": sorted, "set": set, "list": list, "min": min, "max": max,
    "sum": sum, "any": any, "all": all, "abs": abs, "int": int, "str": str,
    "tuple": tuple, "matches": _matches,
}


@dataclass(frozen=True)
class Condition:
    """A validated expression and its compiled code."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    code: Any = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        scope = {"__builtins__": {}}
        scope.update(FUNCTIONS)
        scope.update(env)
        return eval(self.code, scope)


def compile_condition(
    text: str, names: frozenset[str], span: Span | None, attributes: frozenset[str] = frozenset()
) -> Condition:
    """Parse and validate `text`; `names` are the variables it may read."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise SpecError(f"cannot parse condition {text.strip()!r}: {e.msg}", span) from None
    bound = _comprehension_targets(tree)
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise SpecError(f"{type(node).__name__} is not allowed in a condition: {text.strip()!r}", span)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in names and node.id not in FUNCTIONS and node.id not in bound and node.id not in ("True", "False"):
                known = ", ".join(sorted(names))
                raise SpecError(f"unknown name {node.id!r} in condition; known: {known}", span)
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or (node.attr not in attributes and node.attr not in STRING_METHODS):
                raise SpecError(f"unknown attribute {node.attr!r} in condition {text.strip()!r}", span)
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id not in FUNCTIONS:
                raise SpecError(f"unknown function {f.id!r}; known: {', '.join(sorted(FUNCTIONS))}", span)
            if not isinstance(f, (ast.Name, ast.Attribute)):
                raise SpecError("only named functions and string methods can be called", span)
            if node.keywords:
                raise SpecError("keyword arguments are not allowed in a condition", span)
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, str, bool, type(None))):
            raise SpecError(f"constant {node.value!r} is not allowed", span)
    return Condition(text.strip(), tree, compile(tree, "<condition>", "eval"))


def _comprehension_targets(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for t in ast.walk(node.target):
                if isinstance(t, ast.Name):
                    out.add(t.id)
    return out
