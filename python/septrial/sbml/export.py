"""``septrial.export_sbml``: a model specification written as SBML Level 3 Version 2.

States are species (amounts: ``hasOnlySubstanceUnits``, in one compartment of size 1) changed by
rate rules, so every tool reads the state's value as the specification means it; parameters are
constant global parameters; definitions, observables and output signals are parameters set by
assignment rules; covariates are constant parameters at septrial's reference patient, and a
covariate relation is the initial assignment of the individual parameter from its typical value
``<name>_typical``. Mapping and limits: docs/sbml.md."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from septrial.io import write_text_atomic
from septrial.modeldef.define import specification_of
from septrial.sbml._libsbml import libsbml
from septrial.sbml.annotation import write_info, write_items
from septrial.sbml.mathml import to_math
from septrial.sbml.units import unit_definition
from septrial.spec.covariates import PATIENT_COVARIATES
from septrial.spec.expressions import names_in
from septrial.spec.model_spec import ModelDefinition, ObservableDef

__all__ = ["export_sbml", "reference_covariates"]


def reference_covariates() -> dict[str, float]:
    """The covariate values an exported model is written at (septrial's defaults; ``sex`` is 1
    for male, ``opioids`` 1 for yes)."""
    out = {}
    for name, info in PATIENT_COVARIATES.items():
        value = info.default
        out[name] = float(value == "male") if name == "sex" else float(value)  # type: ignore[arg-type]
    return out


class _Writer:
    """One export: fresh ids and the libSBML objects being filled."""

    def __init__(self, spec: ModelDefinition) -> None:
        self.spec = spec
        self.doc = libsbml.SBMLDocument(3, 2)
        self.model = self.doc.createModel()
        self.trees = spec.trees()
        used = {n for exprs in self.trees.values() for t in exprs.values() for n in names_in(t)}
        self.covariates = [c for c in PATIENT_COVARIATES if c in used]
        self.taken = {
            *spec.parameters,
            *spec.states,
            *spec.definitions,
            *spec.inputs,
            *spec.observables,
            *spec.outputs,
            *self.covariates,
        }
        self.typical = {p: self.fresh(f"{p}_typical") for p in spec.covariates}

    def fresh(self, base: str) -> str:
        name = base
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name

    @staticmethod
    def name_node(sid: str) -> libsbml.ASTNode:
        if sid == "t":
            node = libsbml.ASTNode(libsbml.AST_NAME_TIME)
            node.setName("time")
            return node
        node = libsbml.ASTNode(libsbml.AST_NAME)
        node.setName(sid)
        return node

    def math(self, tree: ast.expr, typical: bool = False) -> libsbml.ASTNode:
        return to_math(tree, lambda n: self.name_node(self.typical.get(n, n) if typical else n))

    def parameter(
        self, pid: str, value: float | None, constant: bool, unit: str = ""
    ) -> libsbml.Parameter:
        p = self.model.createParameter()
        p.setId(pid)
        p.setConstant(constant)
        if value is not None:
            p.setValue(float(value))
        uid = unit_definition(self.model, unit) if unit else None
        if uid:
            p.setUnits(uid)
        return p

    def assign(self, variable: str, math: libsbml.ASTNode) -> None:
        rule = self.model.createAssignmentRule()
        rule.setVariable(variable)
        rule.setMath(math)

    def initial(self, symbol: str, math: libsbml.ASTNode) -> None:
        ia = self.model.createInitialAssignment()
        ia.setSymbol(symbol)
        ia.setMath(math)


def _document(spec: ModelDefinition) -> libsbml.SBMLDocument:
    w = _Writer(spec)
    m = w.model
    m.setId(spec.name)
    if spec.description:
        m.setName(spec.description)
    m.setTimeUnits(unit_definition(m, "h"))  # septrial's time is in hours
    compartment = m.createCompartment()
    compartment.setId(w.fresh("compartment"))
    compartment.setSize(1.0)
    compartment.setConstant(True)
    compartment.setSpatialDimensions(3)
    write_info(compartment, kind="unit_compartment")  # amounts only: the importer drops it

    reference = reference_covariates()
    for c in w.covariates:
        p = w.parameter(c, reference[c], True, PATIENT_COVARIATES[c].unit)
        write_info(p, kind="covariate")
    for name, d in spec.parameters.items():
        info = {"unit": d.unit, "iiv": d.iiv, "lower": d.lower, "upper": d.upper, "doc": d.doc}
        if name in spec.covariates:
            typ = w.parameter(w.typical[name], d.value, True, d.unit)
            write_info(typ, kind="typical", of=name)
            p = w.parameter(name, None, True, d.unit)
            w.initial(name, w.math(w.trees["covariates"][name], typical=True))
        else:
            p = w.parameter(name, d.value, True, d.unit)
        write_info(p, kind="parameter", **info)
    for name, signal in spec.inputs.items():
        p = w.parameter(name, signal.default, True, signal.unit)
        write_info(p, kind="input", unit=signal.unit, doc=signal.doc)
    for name, tree in w.trees["states"].items():
        s = m.createSpecies()
        s.setId(name)
        s.setCompartment(compartment.getId())
        s.setHasOnlySubstanceUnits(True)  # the symbol is the amount: no division by a volume
        s.setBoundaryCondition(False)
        s.setConstant(False)
        if isinstance(tree, ast.Constant):
            s.setInitialAmount(float(tree.value))  # type: ignore[arg-type]  # a number
        else:
            w.initial(name, w.math(tree))
        rule = m.createRateRule()
        rule.setVariable(name)
        rate = w.math(w.trees["equations"][name])
        for drug in (d for d, state in spec.doses.items() if state == name):
            # SBML has no dosing: an infusion-rate parameter (mg/h, 0) added to the dosed
            # state's rate, for the other tool to set (and reset at the end of the infusion)
            infusion = w.fresh(f"{drug}_infusion_mg_h")
            write_info(w.parameter(infusion, 0.0, True, "mg/h"), kind="infusion", drug=drug)
            total = libsbml.ASTNode(libsbml.AST_PLUS)
            total.addChild(rate)
            total.addChild(w.name_node(infusion))
            rate = total
        rule.setMath(rate)
    for name in spec.definition_order():
        p = w.parameter(name, None, False)
        write_info(p, kind="definition")
        w.assign(name, w.math(w.trees["definitions"][name]))
    items = _signals(w)
    items += [("dose", {"drug": drug, "state": state}) for drug, state in spec.doses.items()]
    items += [("role", {"name": r, "target": target}) for r, target in spec.roles.items()]
    write_items(m, items)
    return w.doc


def _signals(w: _Writer) -> list[tuple[str, dict[str, Any]]]:
    """Observables and output signals: an assignment-ruled parameter each, unless the name is
    already a quantity with the same value (an observable ``P = P`` of the state ``P``)."""
    spec = w.spec
    items: list[tuple[str, dict[str, Any]]] = []
    written: dict[str, ast.expr] = {}
    own = {*spec.parameters, *spec.states, *spec.definitions, *spec.inputs}
    for field, group in (("observables", spec.observables), ("outputs", spec.outputs)):
        for name, entry in group.items():
            tree = w.trees[field][name]
            unit, doc = (entry.unit, entry.doc) if isinstance(entry, ObservableDef) else ("", "")
            items.append((field[:-1], {"name": name, "unit": unit, "doc": doc}))
            if isinstance(tree, ast.Name) and tree.id == name and name in own:
                continue
            same = w.trees["definitions"].get(name)  # e.g. a signal joined by merging modules
            if same is not None and ast.dump(same) == ast.dump(tree):
                continue
            if name in own:
                raise ValueError(
                    f"{field}.{name}: SBML needs one id per quantity and {name!r} is already a "
                    "parameter, state, definition or input with another value; rename it"
                )
            if name in written:
                if ast.dump(written[name]) != ast.dump(tree):
                    raise ValueError(
                        f"{field}.{name}: an observable and an output of the same name must "
                        "have the same expression in SBML"
                    )
                continue
            written[name] = tree
            write_info(w.parameter(name, None, False, unit), kind="signal")
            w.assign(name, w.math(tree))
    return items


def export_sbml(
    model: str | Path | Mapping[str, Any] | ModelDefinition, path: str | Path | None = None
) -> str:
    """The SBML (Level 3 Version 2) text of a model specification: the name of a model defined
    with :func:`septrial.define_model`, a specification dict, a ``ModelDefinition`` or a
    ``.toml``/``.json`` file. With ``path``, the text is also written there (atomically).

    SBML has no dosing: the exported model starts from the states' initial values (a dose is an
    initial amount, or an infusion an input written into the equations). Covariates take the
    reference patient's values (:func:`reference_covariates`). Compiled (C++) models do not
    export; their specification twins do (docs/sbml.md)."""
    spec = specification_of(model)
    doc = _document(spec)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errors = [
        doc.getError(i).getMessage().strip()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:  # a bug of this module, not of the user's specification
        raise AssertionError(f"invalid SBML written for {spec.name!r}: {errors[0]}")
    text = libsbml.writeSBMLToString(doc)
    if path is not None:
        write_text_atomic(Path(path), text)
    return text
