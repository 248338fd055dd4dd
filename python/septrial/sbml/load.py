"""``septrial.import_sbml``: read an SBML model and define it (:func:`septrial.define_model`)."""

from __future__ import annotations

from pathlib import Path

from septrial.library import ModelInfo
from septrial.modeldef.define import define_model
from septrial.sbml.read import read_sbml

__all__ = ["import_sbml"]


def import_sbml(
    source: str | Path, name: str | None = None, replace: bool = False, *, backend: str = "auto"
) -> ModelInfo:
    """Define a model from an SBML file (a path) or SBML text: species, parameters, reactions
    with kinetic laws, rate and assignment rules and initial assignments become a specification
    (:func:`septrial.sbml.read_sbml` returns it as a dict), registered under ``name`` (default:
    the SBML model id). Events, delays, algebraic rules, fast reactions and the other constructs
    outside the ODE subset raise ``ValueError`` naming the SBML element (docs/sbml.md)."""
    return define_model(read_sbml(source, name), replace=replace, backend=backend)
