"""``septrial.compose``: join library modules through their named signals at run time."""

from __future__ import annotations

from collections.abc import Sequence

from septrial import _core
from septrial.library import ModelInfo, model_info
from septrial.spec.base import fail, validate_spec
from septrial.spec.composition import Composition, module_names

__all__ = ["compose", "module_names", "module_signals"]


def compose(modules: Sequence[str], *, name: str | None = None, description: str = "") -> ModelInfo:
    """Registers the composition of ``modules`` as a model and returns its description.

    Example: ``septrial.compose(["esketamine_simons2022", "propofol_marsh1991",
    "drug_effect_emax", "sepsis_immune"])`` gives the septic patient with the Simons 2022
    esketamine and Marsh 1991 propofol models; its name
    (default: the module names joined by '+') works wherever a model name does. Errors name the
    signals: an input nobody writes, two writers of one signal, units that differ, a loop.
    ``drug_effect_emax`` (or an effect module of your own) carries the drug's effect to the
    patient: without one, ``sepsis_immune`` sees no drug. Entries ending in ``.toml``/``.json``
    are model specification files (relative to the working directory), defined first.
    """
    data = {"compose": list(modules) if not isinstance(modules, str) else modules, "name": name}
    if description:
        data["description"] = description
    spec = validate_spec(Composition, data, root="")
    return model_info(spec.register(path=""))


def module_signals(module: str) -> dict:
    """The signals a library module reads (``inputs``, with the value used when nothing in the
    composition writes them) and writes (``outputs``), and the drug it is dosed with."""
    if module not in module_names():
        fail("module", "unknown module", module, module_names())
    return dict(_core.module_signals(module))
