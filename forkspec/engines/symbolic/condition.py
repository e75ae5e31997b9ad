"""An expectation's condition over an outcome, as a Z3 formula.

`exists stdout == "cp"` is then one satisfiability question (is there a terminated
execution whose output is "cp"?) and `forall`/`~exists` one refutation, with no
outcome enumerated. The fragment translated is the one specs use most: `and`, `or`,
`not`, comparisons of `exit_status`, `processes` and integer constants, `==`/`!=` of
`stdout`/`stderr` and strings, `len(...)` of them and `"text" in stdout`. Anything else
(or a comparison Python would answer differently, such as a string against a number)
gives None, and the expectation is decided on the enumerated outcomes instead.
"""
from __future__ import annotations

import ast

import z3

_ORDER = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
          ast.GtE: lambda a, b: a >= b}


class _Out(Exception):
    pass


def translate(tree: ast.AST, env: dict):
    """A Z3 Bool for the condition, or None outside the fragment. `env` maps stdout and
    stderr to Z3 strings, exit_status and processes to Z3 integers."""
    try:
        return _bool(tree.body if isinstance(tree, ast.Expression) else tree, env)
    except _Out:
        return None


def _bool(e, env):
    if isinstance(e, ast.BoolOp):
        parts = [_bool(v, env) for v in e.values]
        return z3.And(parts) if isinstance(e.op, ast.And) else z3.Or(parts)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        return z3.Not(_bool(e.operand, env))
    if isinstance(e, ast.Constant) and isinstance(e.value, bool):
        return z3.BoolVal(e.value)
    if isinstance(e, ast.Compare):
        out, left = [], _value(e.left, env)
        for op, right_node in zip(e.ops, e.comparators):
            right = _value(right_node, env)
            out.append(_compare(op, left, right))
            left = right
        return z3.And(out) if len(out) > 1 else out[0]
    raise _Out


def _compare(op, a, b):
    kinds = {_kind(a), _kind(b)}
    if isinstance(op, ast.In):
        if _kind(a) != "str" or _kind(b) != "str":
            raise _Out
        return z3.Contains(b, a)
    if len(kinds) != 1:
        raise _Out
    if isinstance(op, ast.Eq):
        return a == b
    if isinstance(op, ast.NotEq):
        return a != b
    if type(op) in _ORDER and kinds == {"int"}:
        return _ORDER[type(op)](a, b)
    raise _Out


def _kind(v) -> str:
    if isinstance(v, z3.SeqRef):
        return "str"
    if isinstance(v, z3.ArithRef):
        return "int"
    raise _Out


def _value(e, env):
    if isinstance(e, ast.Name) and e.id in env:
        return env[e.id]
    if isinstance(e, ast.Constant) and isinstance(e.value, str):
        return z3.StringVal(e.value)
    if isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return z3.IntVal(e.value)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        v = _value(e.operand, env)
        if _kind(v) != "int":
            raise _Out
        return -v
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len" and len(e.args) == 1:
        v = _value(e.args[0], env)
        if _kind(v) != "str":
            raise _Out
        return z3.Length(v)
    raise _Out
