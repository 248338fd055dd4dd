"""A model composed at run time from library modules joined by their signals, e.g.
``{"compose": ["esketamine_simons2022", "propofol_marsh1991", "drug_effect_emax",
"sepsis_immune"]}``.

The engine joins each module's input signals to the output of the same name, checks units, and
refuses two writers of one signal, an input nobody writes (unless it has a default), and loops of
effect modules; its errors name the signals. A drug module's parameters are prefixed with its drug
(``esketamine.CL``), like the bundled compositions. An entry ending in ``.toml`` or ``.json`` is a
model specification file, relative to the scenario's folder, defined before it is composed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from septrial import _core
from septrial.modeldef.files import define_model_file, is_model_file
from septrial.spec.base import SpecModel, fail

__all__ = ["Composition", "ModelChoice", "module_names"]


def module_names() -> list[str]:
    """Library modules a composition can join."""
    return list(_core.module_names())


class Composition(SpecModel):
    """Library modules joined through their named signals."""

    compose: list[str] = Field(min_length=1)
    """Module names (``septrial.module_names()``) or model files (``.toml``/``.json``, relative
    to the scenario), in order; drug modules first by convention."""
    name: str | None = Field(None, min_length=1)
    """Name under which the composition is registered; default: the module names joined by '+'."""
    description: str = ""
    """One line shown by ``septrial.model_info``."""

    def modules(self, folder: Path, path: str = "$.model") -> list[str]:
        """The module names, after defining the model files among them."""
        prefix = f"{path}.compose" if path else "compose"
        return [
            define_model_file(m, folder, f"{prefix}[{i}]") if is_model_file(m) else m
            for i, m in enumerate(self.compose)
        ]

    def register(self, path: str = "$.model", folder: Path | None = None) -> str:
        """Registers the composition with the engine (idempotent) and returns its model name;
        errors start with ``path`` (the composition's place in the user's data); model files
        resolve against ``folder`` (default: the working directory)."""
        compose = self.modules(Path.cwd() if folder is None else folder, path)
        model_name = self.name or "+".join(compose)
        allowed = module_names()
        for i, module in enumerate(compose):
            if module not in allowed:
                fail(
                    f"{path}.compose[{i}]" if path else f"compose[{i}]",
                    "unknown module",
                    module,
                    allowed,
                )
        try:
            return _core.compose_model(model_name, compose, self.description)
        except ValueError as exc:
            # The engine names the signals or parameters; the path is the user's.
            message = str(exc).split(": ", 1)[-1]
            fail(path or "compose", message)
            raise  # unreachable: fail raises


def _model_kind(value: Any) -> str:
    return "name" if isinstance(value, str) else "compose"


ModelChoice = Annotated[
    Annotated[str, Tag("name")] | Annotated[Composition, Tag("compose")],
    Discriminator(_model_kind),
]
"""A model name, or an object composing library modules (so an object's errors are about the
composition, not about 'not a string')."""
