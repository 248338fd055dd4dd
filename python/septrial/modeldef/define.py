"""``septrial.define_model``: check a specification, compile it and register it in the engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from septrial import _core
from septrial.library import ModelInfo, forget_model_info, model_info
from septrial.modeldef import native
from septrial.modeldef.compile import compile_model
from septrial.modeldef.load import builtin_specification, load_definition
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition

__all__ = ["define_model", "specification_of"]


BACKENDS = ("auto", "native", "bytecode")
#: the checked specification of every model defined in this process (SBML export reads them)
_DEFINED: dict[str, ModelDefinition] = {}


def specification_of(model: object) -> ModelDefinition:
    """The checked specification of ``model``: a ModelDefinition, a dict, a .toml/.json path, the
    name of a model defined in this process, or of a built-in module written as a specification
    (e.g. ``sepsis_immune``); ValueError naming ``model`` otherwise."""
    if isinstance(model, ModelDefinition):
        return model
    if isinstance(model, Path) or (
        isinstance(model, str) and model.lower().endswith((".json", ".toml"))
    ):
        return validate_spec(ModelDefinition, load_definition(model), root="")
    if isinstance(model, Mapping):
        return validate_spec(ModelDefinition, dict(model), root="")
    if isinstance(model, str):
        spec = _DEFINED.get(model)
        if spec is not None:
            return spec
        builtin = builtin_specification(model)
        if builtin is not None:
            return validate_spec(ModelDefinition, load_definition(builtin), root="")
        what = "a compiled model, not a specification" if model in _core.models() else "unknown"
        raise ValueError(
            f"model: {model!r} is {what}; pass a specification (dict, ModelDefinition, .toml/.json "
            "file) or the name of a model defined with septrial.define_model"
        )
    raise ValueError(
        f"model: must be a model name, a specification dict, a ModelDefinition or a .toml/.json "
        f"path, got {type(model).__name__}"
    )


def define_model(
    spec_or_path: Mapping[str, Any] | ModelDefinition | str | Path,
    replace: bool = False,
    *,
    backend: str = "auto",
) -> ModelInfo:
    """Define a model from a specification (a dict, a :class:`ModelDefinition`, or a ``.json`` /
    ``.toml`` file) and register it: it then appears in :func:`septrial.models` and runs in
    :func:`septrial.simulate` like a built-in model, at compiled speed (expression programs
    evaluated by the C++ engine, with a symbolic Jacobian for the stiff solver).

    ``replace=True`` redefines a model defined earlier; built-in models cannot be redefined.
    ``backend``: ``"bytecode"`` (the engine interprets the programs), ``"native"`` (machine code
    compiled in memory with llvmlite, the optional ``jit`` extra) or ``"auto"`` (native when
    llvmlite is installed).
    Every problem raises ``ValueError`` naming the field, e.g. ``equations.A1: unknown name``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if backend == "native" and not native.available():
        raise ValueError(
            "backend: 'native' needs llvmlite, which failed to import (pip install llvmlite)"
        )
    if isinstance(spec_or_path, ModelDefinition):
        spec = spec_or_path
    else:
        spec = validate_spec(ModelDefinition, load_definition(spec_or_path), root="")
    for name, signal in spec.inputs.items():
        if signal.default is None:  # until modules are composed at run time nothing connects it
            raise ValueError(
                f"inputs.{name}: needs a default (no other module can write it to a "
                "stand-alone model)"
            )
    if not isinstance(replace, bool):
        raise ValueError(f"replace: must be True or False, got {replace!r}")
    definition = compile_model(spec)
    if backend != "bytecode" and native.available():
        native.compile_native(definition)
    _core.define_expression_model(definition, replace)
    _DEFINED[spec.name] = spec
    forget_model_info()
    return model_info(spec.name)
