"""New parameter values written into a TOML specification in place, keeping its comments and
layout: how ``python -m septrial.calibrate`` stores what it fits in the patient's one source,
``python/septrial/models/sepsis_immune.toml``."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from septrial.io import write_text_atomic
from septrial.modeldef.load import load_definition
from septrial.spec.base import SpecError, validate_spec
from septrial.spec.model_spec import ModelDefinition

__all__ = ["set_parameter_values"]


def _replace(text: str, name: str, key: str, value: float) -> str:
    """``key = <number>`` on the one-line table of parameter ``name``."""
    line = re.compile(rf"^({re.escape(name)}\s*=\s*\{{[^\n]*?\b{key}\s*=\s*)([^,}}\s]+)", re.M)
    new, count = line.subn(lambda m: m.group(1) + repr(float(value)), text)
    if count != 1:
        raise SpecError(
            f"parameters.{name}: no one-line '{name} = {{ {key} = ... }}' entry to update"
        )
    return new


def set_parameter_values(path: Path, values: Mapping[str, float]) -> None:
    """Writes ``values`` into the specification at ``path``: a parameter's ``value``, or for
    ``omega2_<name>`` the ``iiv`` of ``<name>``. The new text must still be a valid specification
    holding exactly these values; only then does it replace the file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        if name.startswith("omega2_"):
            text = _replace(text, name.removeprefix("omega2_"), "iiv", value)
        else:
            text = _replace(text, name, "value", value)
    with tempfile.TemporaryDirectory() as tmp:
        draft = Path(tmp) / path.name
        draft.write_text(text, encoding="utf-8")
        spec = validate_spec(ModelDefinition, load_definition(draft), root="")
    for name, value in values.items():
        p = spec.parameters[name.removeprefix("omega2_")]
        if (p.iiv if name.startswith("omega2_") else p.value) != float(value):
            raise AssertionError(f"parameters.{name}: not written")  # a bug of this module
    write_text_atomic(path, text)
