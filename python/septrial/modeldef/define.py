"""``septrial.define_model``: check a specification, compile it and register it in the engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from septrial import _core
from septrial.library import ModelInfo, model_info
from septrial.modeldef.compile import compile_model
from septrial.modeldef.load import load_definition
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition

__all__ = ["define_model"]


def define_model(
    spec_or_path: Mapping[str, Any] | ModelDefinition | str | Path, replace: bool = False
) -> ModelInfo:
    """Define a model from a specification (a dict, a :class:`ModelDefinition`, or a ``.json`` /
    ``.toml`` file) and register it: it then appears in :func:`septrial.models` and runs in
    :func:`septrial.simulate` like a built-in model, at compiled speed (expression programs
    evaluated by the C++ engine, with a symbolic Jacobian for the stiff solver).

    ``replace=True`` redefines a model defined earlier; built-in models cannot be redefined.
    Every problem raises ``ValueError`` naming the field, e.g. ``equations.A1: unknown name``.
    """
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
    _core.define_expression_model(compile_model(spec), replace)
    model_info.cache_clear()
    return model_info(spec.name)
