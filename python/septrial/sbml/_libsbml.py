"""python-libsbml, or an error that names the extra that installs it."""

from __future__ import annotations

try:
    import libsbml
except ModuleNotFoundError:  # pragma: no cover - the test and bench extras install it
    raise ModuleNotFoundError(
        "septrial.export_sbml / septrial.import_sbml need python-libsbml: "
        "pip install 'septrial[sbml]'"
    ) from None

__all__ = ["libsbml"]
