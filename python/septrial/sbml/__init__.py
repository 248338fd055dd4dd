"""SBML export and import of model specifications (python-libsbml): ``septrial.export_sbml``
writes a specification as SBML Level 3 so that libroadrunner and other tools run the same
equations; ``septrial.import_sbml`` reads the ODE subset of SBML as a specification
(docs/sbml.md)."""

from __future__ import annotations

from septrial.sbml.export import export_sbml, reference_covariates
from septrial.sbml.load import import_sbml
from septrial.sbml.read import read_sbml

__all__ = ["export_sbml", "import_sbml", "read_sbml", "reference_covariates"]
