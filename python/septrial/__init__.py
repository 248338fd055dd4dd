"""septrial: in-silico clinical trials for sepsis pharmacology.

Public names are loaded lazily (PEP 562) so that ``import septrial`` is fast and pure-Python
submodules such as :mod:`septrial.stats` import without touching the compiled engine.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS = {
    "models": "septrial.simulation",
    "model_info": "septrial.simulation",
    "individual_parameters": "septrial.simulation",
    "simulate": "septrial.simulation",
    "Infusion": "septrial.dosing",
    "Bolus": "septrial.dosing",
    "PumpLog": "septrial.dosing",
    "Scenario": "septrial.scenario",
    "Study": "septrial.study",
    "screen": "septrial.screening_run",
    "run_trial": "septrial.trial",
    "power_curve": "septrial.power_curves",
    "assurance": "septrial.power_curves",
    "plot": "septrial.plotting",
    "compare": "septrial.compare",
    "to_nonmem": "septrial.nonmem",
    "compose": "septrial.composition",
    "module_names": "septrial.composition",
    "module_signals": "septrial.composition",
    "define_model": "septrial.modeldef",
    "trajectories": "septrial.trajectories",
    "export_sbml": "septrial.sbml",
    "import_sbml": "septrial.sbml",
}
_SUBMODULES = {
    "stats",
    "plotting",
    "dosing",
    "scenario",
    "screening",
    "trial",
    "power_curves",
    "cohort",
    "spec",
    "study",
    "sbml",
}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        # importing septrial.compare binds the submodule to this name: the function wins
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"septrial.{name}")
    raise AttributeError(f"module 'septrial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
