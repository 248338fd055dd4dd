"""A model specification from a dict, a JSON file or a TOML file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib

from septrial.spec.base import SpecError, load_json

__all__ = ["BUILTIN_SPECIFICATIONS", "builtin_specification", "load_definition"]

SUFFIXES = (".json", ".toml")
#: the specifications of the built-in modules written as data (compiled into the engine by
#: ``python -m septrial.modeldef.codegen``), shipped with the package
BUILTIN_SPECIFICATIONS = Path(__file__).resolve().parents[1] / "models"


def builtin_specification(name: str) -> Path | None:
    """The specification file of the built-in module ``name``, or None when it is C++ only."""
    path = BUILTIN_SPECIFICATIONS / f"{name}.toml"
    return path if path.is_file() else None


def load_definition(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """The specification as plain data; ValueError naming ``model`` for a bad source."""
    if isinstance(source, Mapping):
        return dict(source)
    if not isinstance(source, str | Path):
        raise SpecError(
            "model: must be a dict or the path of a .json or .toml file, "
            f"got {type(source).__name__}"
        )
    path = Path(source)
    if path.suffix.lower() not in SUFFIXES:
        raise SpecError(f"model: file {str(path)!r} must end in one of {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise SpecError(f"model: no such file {str(path)!r}")
    if path.suffix.lower() == ".json":
        data = load_json(path)
    else:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: must hold one object (the model specification)")
    return data
