"""Models as data: a specification (dict, JSON or TOML) compiled once into expression programs
that the C++ engine evaluates without Python, with a symbolic Jacobian (docs/models-as-data.md)."""

from __future__ import annotations

from septrial.modeldef.define import define_model

__all__ = ["define_model"]
