"""RestrictedPython environment for BPMN scripts, conditions and timer expressions."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

# Harmless builtins that BPMN authors expect, on top of RestrictedPython's safe set.
_EXTRA_BUILTINS = (
    "abs all any bool dict enumerate float int isinstance len list max min range reversed round set sorted "
    "str sum tuple zip"
).split()

_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "@=": operator.imatmul,
}


class SandboxError(Exception):
    """The sandbox refused a script or expression."""


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    """Apply an augmented assignment such as ``n += 1``."""
    try:
        return _INPLACE_OPERATORS[op](target, value)
    except KeyError:
        raise SandboxError(f"Operator {op} is not allowed in process scripts") from None


def _refuse_import(name: str, *args: Any, **kwargs: Any) -> None:
    """Refuse every import statement with a clear message."""
    raise SandboxError(f"Refused by the script sandbox: import of {name!r} is not allowed")


def _builtins() -> dict[str, Any]:
    """Return the builtins visible to process scripts (a new dict, the library's stays untouched)."""
    names = dict(safe_builtins)
    names.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    names["__import__"] = _refuse_import
    return names


def sandbox_globals() -> dict[str, Any]:
    """Return the globals RestrictedPython's compiled code expects: builtins and guards."""
    return {
        "__builtins__": _builtins(),
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplacevar,
    }


@lru_cache(maxsize=1024)
def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Compile source in mode 'eval' or 'exec' under RestrictedPython, or raise SandboxError."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename="<bpmn>")
    if result.errors or result.code is None:
        reasons = "; ".join(result.errors) or "not valid Python"
        raise SandboxError(f"Refused by the script sandbox: {reasons}")
    return result.code


class SandboxEnvironment(TaskDataEnvironment):
    """Task-data script environment that runs everything through RestrictedPython."""

    def __init__(self, environment_globals: dict[str, Any] | None = None) -> None:
        """Create the environment; extra globals are added next to the guards."""
        super().__init__({**(environment_globals or {}), **sandbox_globals()})

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Evaluate an expression against task data; guards win over data keys of the same name."""
        code = compile_sandboxed(expression, "eval")
        namespace = {**(external_context or {}), **context, **self.globals}
        return eval(code, namespace)  # compiled by RestrictedPython

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Execute a script whose assignments become task data."""
        code = compile_sandboxed(script, "exec")
        return bool(super().execute(code, context, external_context))
