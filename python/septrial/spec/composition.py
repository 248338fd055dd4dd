"""A model composed at run time from library modules joined by their signals, e.g.
``{"compose": ["esketamine_simons2022", "propofol_marsh1991", "sepsis_immune"]}``.

The engine joins each module's input signals to the output of the same name, checks units, and
refuses two writers of one signal, an input nobody writes (unless it has a default), and loops of
effect modules; its errors name the signals. A drug module's parameters are prefixed with its drug
(``esketamine.CL``), like the bundled compositions."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from septrial import _core
from septrial.spec.base import SpecModel, fail

__all__ = ["Composition", "ModelChoice", "module_names"]


def module_names() -> list[str]:
    """Library modules a composition can join."""
    return list(_core.module_names())


class Composition(SpecModel):
    """Library modules joined through their named signals."""

    compose: list[str] = Field(min_length=1)
    """Module names (``septrial.module_names()``), in order; drug modules first by convention."""
    name: str | None = Field(None, min_length=1)
    """Name under which the composition is registered; default: the module names joined by '+'."""
    description: str = ""
    """One line shown by ``septrial.model_info``."""

    @property
    def model_name(self) -> str:
        return self.name or "+".join(self.compose)

    def register(self, path: str = "$.model") -> str:
        """Registers the composition with the engine (idempotent) and returns its model name;
        errors start with ``path`` (the composition's place in the user's data)."""
        allowed = module_names()
        for i, module in enumerate(self.compose):
            if module not in allowed:
                fail(
                    f"{path}.compose[{i}]" if path else f"compose[{i}]",
                    "unknown module",
                    module,
                    allowed,
                )
        try:
            return _core.compose_model(self.model_name, self.compose, self.description)
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
