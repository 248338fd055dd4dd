"""``septrial.import_sbml``: the ODE subset of SBML read as a model specification.

Species, compartments, global parameters, reactions with kinetic laws, rate and assignment rules
and initial assignments are read; function definitions are inlined and local parameters promoted
(libSBML converters). Events, delays, algebraic rules, fast reactions, conversion factors,
changing compartments and variable stoichiometry raise ValueError naming the element. Mapping
and units (amount vs concentration): docs/sbml.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from septrial.sbml._libsbml import libsbml
from septrial.sbml.annotation import read_info, read_items
from septrial.sbml.infix import to_text
from septrial.spec.covariates import PATIENT_COVARIATES
from septrial.spec.expressions import RESERVED

__all__ = ["read_sbml"]

_SPEC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _document(source: str | Path) -> libsbml.SBMLDocument:
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith("<")
    ):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"sbml: no such file {str(path)!r} (pass a path or the SBML text)")
        doc = libsbml.readSBMLFromFile(str(path))
    elif isinstance(source, str):
        doc = libsbml.readSBMLFromString(source)
    else:
        raise ValueError(f"sbml: must be a path or SBML text, got {type(source).__name__}")
    for i in range(doc.getNumErrors()):
        error = doc.getError(i)
        if error.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            raise ValueError(
                f"sbml: not valid SBML (line {error.getLine()}): {error.getMessage().strip()}"
            )
    if doc.getModel() is None:
        raise ValueError("sbml: the document holds no model")
    # Level 3 packages the file declares and marks as required change the meaning of the model
    # (Level 2 has none; libSBML attaches plugins such as layout to any document)
    namespaces = doc.getNamespaces() if doc.getLevel() >= 3 else None
    for i in range(namespaces.getLength() if namespaces is not None else 0):
        uri = namespaces.getURI(i)
        if "/level3/" not in uri or "/core" in uri:
            continue
        if doc.getPackageRequired(uri):
            raise ValueError(
                f"sbml: package {uri!r} is required by the file; only SBML core is supported"
            )
    return doc


def _refuse_unsupported(m: libsbml.Model) -> None:
    for i, ev in enumerate(m.getListOfEvents()):
        raise ValueError(
            f"event {ev.getId() or f'#{i + 1}'!r}: SBML events are not supported (a septrial "
            "model changes only through its equations; doses come from septrial's dosing)"
        )
    for i, rule in enumerate(m.getListOfRules()):
        if rule.isAlgebraic():
            raise ValueError(
                f"algebraicRule #{i + 1} ({rule.getFormula()}): algebraic rules (DAEs) are not "
                "supported; write the quantity as an assignment rule"
            )
    if m.isSetConversionFactor():
        raise ValueError(f"model {m.getId()!r}: conversionFactor is not supported")
    for s in m.getListOfSpecies():
        if s.isSetConversionFactor():
            raise ValueError(f"species {s.getId()!r}: conversionFactor is not supported")
    for r in m.getListOfReactions():
        if r.isSetFast() and r.getFast():
            raise ValueError(f"reaction {r.getId()!r}: fast reactions are not supported")


class _Reader:
    def __init__(self, m: libsbml.Model) -> None:
        self.m = m
        self.ruled = {r.getVariable(): r for r in m.getListOfRules() if not r.isAlgebraic()}
        self.initial = {a.getSymbol(): a for a in m.getListOfInitialAssignments()}
        self.covariates = {
            p.getId()
            for p in m.getListOfParameters()
            if read_info(p).get("kind") == "covariate" and p.getId() in PATIENT_COVARIATES
        }
        self.infusions = {
            p.getId() for p in m.getListOfParameters() if read_info(p).get("kind") == "infusion"
        }
        self.typical_of = {
            p.getId(): read_info(p)["of"]
            for p in m.getListOfParameters()
            if read_info(p).get("kind") == "typical" and "of" in read_info(p)
        }
        ids = [
            x.getId()
            for group in (
                m.getListOfCompartments(),
                m.getListOfSpecies(),
                m.getListOfParameters(),
                m.getListOfReactions(),
            )
            for x in group
        ]
        self.names: dict[str, str] = {c: c for c in self.covariates}
        taken = set(self.names)
        for sid in ids:
            if sid in self.names:
                continue
            name = sid.lstrip("_") or "x"
            while (
                not _SPEC_NAME.match(name)
                or name in RESERVED
                or name in PATIENT_COVARIATES
                or name in taken
            ):
                name += "_sbml"
            self.names[sid] = name
            taken.add(name)
        for typ, of in self.typical_of.items():  # the typical value carries the parameter's name
            self.names[typ] = self.names.get(of, of)

    def name(self, sid: str) -> str:
        if sid not in self.names:
            raise ValueError(f"unknown id {sid!r}")
        return self.names[sid]

    def text(self, math: libsbml.ASTNode | None, where: str) -> str:
        if math is None:
            raise ValueError(f"{where}: has no math")
        return to_text(math, self.name, where)

    def rate(self, rule: libsbml.Rule, where: str) -> str:
        """A rate rule's math without the infusion input septrial's export adds (the dose is
        restored from the annotation)."""
        math = rule.getMath()
        if math is not None and math.getType() == libsbml.AST_PLUS and math.getNumChildren() == 2:
            last = math.getChild(1)
            if last.getType() == libsbml.AST_NAME and last.getName() in self.infusions:
                math = math.getChild(0)
        return self.text(math, where)

    def relation(self, sid: str, allowed: set[str]) -> str:
        """The initial assignment of a constant as a covariate relation (parameters and
        covariates only: a relation reads typical values, an SBML initial assignment the
        current ones, so a chain of initial assignments is refused)."""
        where = f"initialAssignment for {sid!r}"
        math = self.initial[sid].getMath()
        for node in _nodes(math):
            if node.getType() == libsbml.AST_NAME and node.getName() not in allowed:
                raise ValueError(
                    f"{where}: reads {node.getName()!r}, which is not a constant parameter "
                    "without an initial assignment of its own or a covariate; septrial computes "
                    "such values from typical parameters and covariates only"
                )
            if node.getType() == libsbml.AST_NAME_TIME:
                raise ValueError(f"{where}: reads time")
        return self.text(math, where)


def _nodes(math: libsbml.ASTNode | None) -> list[libsbml.ASTNode]:
    out, todo = [], [math] if math is not None else []
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.getChild(i) for i in range(node.getNumChildren()))
    return out


def _unit(m: libsbml.Model, element: libsbml.SBase, info: dict[str, str]) -> str:
    if "unit" in info:
        return info["unit"]
    uid = element.getUnits() if element.isSetUnits() else ""
    definition = m.getUnitDefinition(uid) if uid else None
    return definition.getName() if definition is not None and definition.isSetName() else uid


def read_sbml(source: str | Path, name: str | None = None) -> dict[str, Any]:
    """The model specification (a dict for :func:`septrial.define_model`) of an SBML file or
    text; ValueError naming the SBML element for what the specification cannot hold."""
    doc = _document(source)
    _refuse_unsupported(doc.getModel())
    for option in ("expandFunctionDefinitions", "promoteLocalParameters"):
        props = libsbml.ConversionProperties()
        props.addOption(option, True)
        if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise ValueError(
                f"sbml: libSBML could not {option} (a functionDefinition or localParameter it "
                "cannot rewrite)"
            )
    m = doc.getModel()
    r = _Reader(m)
    spec: dict[str, Any] = {
        "name": name or _registry_name(m.getId()),
        "description": m.getName() if m.isSetName() else f"imported from SBML model {m.getId()!r}",
        "parameters": {},
        "covariates": {},
        "states": {},
        "definitions": {},
        "equations": {},
        "observables": {},
        "inputs": {},
        "outputs": {},
        "doses": {},
        "roles": {},
    }
    # constants that an initial assignment may read (no initial assignment of their own)
    constants = {
        x.getId()
        for group in (m.getListOfParameters(), m.getListOfCompartments())
        for x in group
        if x.getId() not in r.ruled and x.getId() not in r.initial
    } | r.covariates
    # a state's initial value reads individual values: initial assignments of constants too
    individual = constants | {
        x.getId()
        for group in (m.getListOfParameters(), m.getListOfCompartments())
        for x in group
        if x.getId() not in r.ruled
    }
    sizes = _compartments(m, r, spec, constants)
    signals = _parameters(m, r, spec, constants, individual)
    _species(m, r, spec, individual, sizes)
    _reactions(m, r, spec)
    _observables(m, r, spec, signals)
    if not spec["states"]:
        raise ValueError(
            f"sbml: model {m.getId()!r} has nothing to integrate (no species changed by "
            "reactions or rate rules, and no rate rules)"
        )
    return {k: v for k, v in spec.items() if v not in ({}, "")}


def _registry_name(model_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", model_id).strip("_")
    return name if name and name[0].isalpha() else f"sbml_{name or 'model'}"


def _constant(
    r: _Reader,
    spec: dict,
    sid: str,
    value: float | None,
    unit: str,
    info: dict[str, str],
    constants: set[str],
    where: str,
) -> None:
    """A constant: a parameter, its initial assignment a covariate relation."""
    name = r.name(sid)
    typical = [t for t, of in r.typical_of.items() if of == sid]
    if typical:
        value = r.m.getParameter(typical[0]).getValue()
    if sid in r.initial:
        spec["covariates"][name] = r.relation(sid, constants)
        if value is None:  # the relation never reads it: any value in range
            lo, hi = float(info.get("lower", "-inf")), float(info.get("upper", "inf"))
            value = min(max(0.0, lo), hi)
    elif value is None:
        raise ValueError(f"{where}: has no value and no initial assignment")
    entry: dict[str, Any] = {"value": value, "unit": unit}
    for key in ("iiv", "lower", "upper"):
        if key in info:
            entry[key] = float(info[key])
    if info.get("doc"):
        entry["doc"] = info["doc"]
    spec["parameters"][name] = entry


def _initial(r: _Reader, sid: str, constants: set[str], fallback: str | None, where: str) -> Any:
    if sid in r.initial:
        return r.relation(sid, constants)
    if fallback is None:
        raise ValueError(
            f"{where}: has no initial value (initialAmount, initialConcentration, value or "
            "initialAssignment)"
        )
    return fallback


def _compartments(m, r: _Reader, spec: dict, constants: set[str]) -> dict[str, bool]:
    sized = {}
    for c in m.getListOfCompartments():
        cid = c.getId()
        if read_info(c).get("kind") == "unit_compartment":
            sized[cid] = True
            continue
        if cid in r.ruled:
            raise ValueError(
                f"compartment {cid!r}: a compartment whose size changes (a rule) is not supported"
            )
        sized[cid] = c.isSetSize() or cid in r.initial
        if sized[cid]:
            size = c.getSize() if c.isSetSize() else None
            _constant(r, spec, cid, size, _unit(m, c, {}), {}, constants, f"compartment {cid!r}")
    return sized


def _parameters(m, r: _Reader, spec: dict, constants: set[str], individual: set[str]) -> set[str]:
    """Parameters; returns the ids of septrial's observable/output parameters."""
    signals = set()
    for p in m.getListOfParameters():
        pid, info = p.getId(), read_info(p)
        kind, name = info.get("kind", ""), r.name(pid)
        value = p.getValue() if p.isSetValue() else None
        where = f"parameter {pid!r}"
        if kind in ("covariate", "typical", "infusion"):
            continue
        rule = r.ruled.get(pid)
        if rule is not None and rule.isAssignment():
            if kind == "signal":
                signals.add(pid)
            else:
                spec["definitions"][name] = r.text(rule.getMath(), f"assignmentRule for {pid!r}")
        elif rule is not None:
            init = None if value is None else repr(value)
            spec["states"][name] = _initial(r, pid, individual, init, where)
            spec["equations"][name] = r.rate(rule, f"rateRule for {pid!r}")
        elif kind == "input":
            spec["inputs"][name] = {"default": value, "unit": info.get("unit", "")}
        else:
            _constant(r, spec, pid, value, _unit(m, p, info), info, constants, where)
    return signals


def _species(m, r: _Reader, spec: dict, constants: set[str], sized: dict[str, bool]) -> None:
    for s in m.getListOfSpecies():
        sid, cid = s.getId(), s.getCompartment()
        where = f"species {sid!r}"
        amount = s.getHasOnlySubstanceUnits()  # the id means the amount, else the concentration
        if s.isSetInitialAmount():
            start, scale = s.getInitialAmount(), "" if amount else f" / {r.name(cid)}"
        elif s.isSetInitialConcentration():
            start, scale = s.getInitialConcentration(), f" * {r.name(cid)}" if amount else ""
        else:
            start, scale = None, ""
        if scale and not sized.get(cid):
            raise ValueError(f"{where}: its compartment {cid!r} has no size")
        init = None if start is None else f"{start!r}{scale}"
        rule = r.ruled.get(sid)
        name = r.name(sid)
        if rule is not None and rule.isAssignment():
            spec["definitions"][name] = r.text(rule.getMath(), f"assignmentRule for {sid!r}")
        elif rule is not None:
            spec["states"][name] = _initial(r, sid, constants, init, where)
            spec["equations"][name] = r.rate(rule, f"rateRule for {sid!r}")
        elif s.getConstant() or s.getBoundaryCondition():
            spec["definitions"][name] = _initial(r, sid, constants, init, where)
        else:
            spec["states"][name] = _initial(r, sid, constants, init, where)
            spec["equations"][name] = "0"  # reactions add their terms below


def _reactions(m, r: _Reader, spec: dict) -> None:
    terms: dict[str, list[str]] = {}
    for reaction in m.getListOfReactions():
        rid = reaction.getId()
        law = reaction.getKineticLaw()
        if law is None or not law.isSetMath():
            raise ValueError(f"reaction {rid!r}: has no kinetic law")
        spec["definitions"][r.name(rid)] = r.text(law.getMath(), f"kineticLaw of {rid!r}")
        for sign, group in ((-1, reaction.getListOfReactants()), (1, reaction.getListOfProducts())):
            for ref in group:
                sid = ref.getSpecies()
                if ref.isSetId() and (ref.getId() in r.ruled or ref.getId() in r.initial):
                    raise ValueError(
                        f"speciesReference {ref.getId()!r} in reaction {rid!r}: "
                        "variable stoichiometry is not supported"
                    )
                if ref.getLevel() < 3 and ref.isSetStoichiometryMath():
                    raise ValueError(f"reaction {rid!r}: stoichiometryMath is not supported")
                species = m.getSpecies(sid)
                if species.getBoundaryCondition() or species.getConstant():
                    continue  # reactions do not change boundary or constant species
                # SBML L3 leaves an unset stoichiometry undefined; 1 as in Level 2
                nu = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                terms.setdefault(sid, []).append(f"{sign * nu!r} * {r.name(rid)}")
    for sid, parts in terms.items():
        species = m.getSpecies(sid)
        rate = " + ".join(parts)
        if not species.getHasOnlySubstanceUnits():  # extent/time into concentration/time
            rate = f"({rate}) / {r.name(species.getCompartment())}"
        spec["equations"][r.name(sid)] = rate


def _observables(m, r: _Reader, spec: dict, signals: set[str]) -> None:
    items = read_items(m)
    ruled = {k: v for k, v in r.ruled.items() if v.isAssignment()}
    if items is None:  # a file from another tool: every species and ruled quantity
        for sid in [s.getId() for s in m.getListOfSpecies()] + list(r.ruled):
            if sid in r.ruled and m.getCompartment(sid) is not None:
                continue
            spec["observables"][r.name(sid)] = r.name(sid)
        return
    for tag, attrs in items:
        if tag in ("observable", "output"):
            sid = attrs["name"]
            expr = (
                r.text(ruled[sid].getMath(), f"assignmentRule for {sid!r}")
                if sid in signals
                else r.name(sid)
            )
            entry = {"expr": expr, "unit": attrs.get("unit", ""), "doc": attrs.get("doc", "")}
            spec[f"{tag}s"][attrs["name"]] = entry
        elif tag == "dose":
            spec["doses"][attrs["drug"]] = r.name(attrs["state"])
        elif tag == "role":
            spec["roles"][attrs["name"]] = attrs["target"]
