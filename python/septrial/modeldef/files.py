"""Model files referenced from scenarios: ``"model": "models/my_pk.toml"`` or a file among the
modules of ``{"compose": [...]}``, resolved against the scenario's folder and defined once per
file version (a scenario is checked many times; compiling again each time would cost seconds)."""

from __future__ import annotations

from pathlib import Path

from septrial import _core
from septrial.modeldef.define import define_model
from septrial.modeldef.load import SUFFIXES, load_definition
from septrial.spec.base import SpecError

__all__ = ["is_model_file", "define_model_file"]

#: (resolved path, modification time, size) -> the model name it defined
_defined: dict[tuple[str, int, int], str] = {}


def is_model_file(reference: str) -> bool:
    """A model reference that names a specification file rather than a registered model."""
    return reference.lower().endswith(SUFFIXES)


def define_model_file(reference: str, folder: Path, where: str) -> str:
    """Defines the model in ``reference`` (relative to ``folder``) and returns its name; errors
    start with ``where``, the reference's place in the scenario."""
    path = (folder / reference).resolve()
    if not path.is_file():
        raise SpecError(f"{where}: no model file {reference!r} (looked in {folder})")
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key in _defined:
        return _defined[key]
    try:
        data = load_definition(path)
        name = data.get("name") if isinstance(data, dict) else None
        # The file is the model's source of truth: a newer version replaces the one defined before.
        replace = isinstance(name, str) and name in _core.expression_models()
        info = define_model(data, replace=replace)
    except ValueError as exc:
        raise SpecError(f"{where} ({reference}): {exc}") from None
    _defined[key] = info.name
    return info.name
