"""A checked :class:`~septrial.spec.model_spec.ModelDefinition` compiled into the engine's typed
definition: parameters and random effects, one frame layout, and the programs (covariate
relations, initial state, derivatives, observables, output signals, symbolic Jacobian)."""

from __future__ import annotations

import math

import sympy as sp

from septrial import _core
from septrial.modeldef.emit import Emitted, Frame, Ref, emit_program
from septrial.modeldef.hoist import Hoister
from septrial.modeldef.symbolic import to_sympy
from septrial.spec.expressions import names_in
from septrial.spec.model_spec import ModelDefinition, ObservableDef

__all__ = ["compile_model"]


def _parameters(
    spec: ModelDefinition,
) -> tuple[list[_core.ParameterInfo], list[_core.RandomEffect]]:
    params, effects = [], []
    for name, p in spec.parameters.items():
        info = _core.ParameterInfo()
        info.name, info.value, info.unit, info.doc = name, p.value, p.unit, p.doc
        info.lower = -math.inf if p.lower is None else p.lower
        info.upper = math.inf if p.upper is None else p.upper
        info.lower_inclusive, info.upper_inclusive = p.lower_inclusive, p.upper_inclusive
        params.append(info)
    for name, p in spec.parameters.items():
        if p.iiv is None:
            continue
        omega = _core.ParameterInfo()
        omega.name, omega.value, omega.unit = f"omega2_{name}", p.iiv, "1"
        omega.doc = p.iiv_doc or f"variance of the log-normal random effect on {name}"
        omega.lower, omega.upper = 0.0, math.inf
        params.append(omega)
        effect = _core.RandomEffect()
        effect.parameter, effect.variance_name = name, omega.name
        effects.append(effect)
    return params, effects


def _program(
    frame: Frame, emitted: Emitted, extra: list[tuple[str, Ref, Ref]] = ()
) -> _core.ExprProgram:
    program = _core.ExprProgram()
    code = [*emitted.code, *((op, dst, a, a, a) for op, dst, a in extra)]
    program.code = [
        _core.ExprInstruction(
            getattr(_core.ExprOp, op), *(frame.resolve(r) for r in (dst, a, b, c))
        )
        for op, dst, a, b, c in code
    ]
    program.outputs = [frame.resolve(r) for r in emitted.outputs]
    return program


def compile_model(spec: ModelDefinition) -> _core.ExpressionModelDef:
    """The engine definition of a checked specification."""
    params, effects = _parameters(spec)
    trees = spec.trees()
    covariates = sorted(
        {n for exprs in trees.values() for t in exprs.values() for n in names_in(t)}
        & set(spec.allowed("states")) - set(spec.parameters)
    )
    frame = Frame()
    # Named slots, in layout order (states and inputs contiguous).
    for p in params:
        frame.slot(f"p:{p.name}")
    for name in spec.covariates:
        frame.slot(f"i:{name}")
    for c in covariates:
        frame.slot(f"cov:{c}")
    for s in spec.states:
        frame.slot(f"s:{s}")
    for i in spec.inputs:
        frame.slot(f"in:{i}")
    frame.slot("t")

    sym = {
        n: sp.Symbol(n, real=True)
        for n in [*spec.parameters, *covariates, *spec.states, *spec.inputs, "t"]
    }
    typical = {n: sp.Dummy(n, real=True) for n in spec.parameters}
    refs: dict[sp.Symbol, Ref] = {typical[n]: frame.slot(f"p:{n}") for n in spec.parameters}
    for n in spec.parameters:
        refs[sym[n]] = frame.slot(f"i:{n}" if n in spec.covariates else f"p:{n}")
    for c in covariates:
        refs[sym[c]] = frame.slot(f"cov:{c}")
    for s in spec.states:
        refs[sym[s]] = frame.slot(f"s:{s}")
    for i in spec.inputs:
        refs[sym[i]] = frame.slot(f"in:{i}")
    refs[sym["t"]] = frame.slot("t")

    # Covariate relations see the typical values; everything else the individual ones.
    rel_syms = {**sym, **typical}
    relations = [to_sympy(trees["covariates"][n], rel_syms) for n in spec.covariates]
    individual = emit_program(frame, refs, relations)
    copies = [
        ("copy", frame.slot(f"i:{n}"), out)
        for n, out in zip(spec.covariates, individual.outputs, strict=True)
    ]
    individual.outputs = [
        frame.slot(f"i:{p.name}" if p.name in spec.covariates else f"p:{p.name}") for p in params
    ]

    scope: dict[str, sp.Basic] = dict(sym)
    for name in spec.definition_order():
        scope[name] = to_sympy(trees["definitions"][name], scope)
    f = [to_sympy(trees["equations"][s], scope) for s in spec.states]
    x = [sym[s] for s in spec.states]
    jac = [fi.diff(xj) for fi in f for xj in x]
    dfdt = [fi.diff(sym["t"]) for fi in f]

    d = _core.ExpressionModelDef()
    d.name, d.description = spec.name, spec.description
    d.parameters, d.random_effects = params, effects
    d.states = list(spec.states)
    d.observables = [_observable(k, v) for k, v in spec.observables.items()]
    d.outputs = [
        _signal(k, v.unit, v.doc) if isinstance(v, ObservableDef) else _signal(k, "", "")
        for k, v in spec.outputs.items()
    ]
    roles = []
    for role, target in spec.roles.items():
        binding = _core.RoleBinding()
        binding.role, binding.target = role, target
        roles.append(binding)
    d.roles = roles
    for drug, state in spec.doses.items():
        d.drug, d.dose_state = drug, list(spec.states).index(state)
    d.inputs = [_signal(k, v.unit, v.doc, v.default) for k, v in spec.inputs.items()]
    d.residual_errors = [_residual_error(k, v.kind, v.sd) for k, v in spec.residual_errors.items()]
    # Per-patient invariants move to the `individual` program (run once per patient); emit
    # everything before resolving: constants found later shift the named slots.
    hoist = Hoister([*x, sym["t"], *(sym[i] for i in spec.inputs)])
    observed = [to_sympy(t, scope) for t in trees["observables"].values()]
    outputs = [to_sympy(t, scope) for t in trees["outputs"].values()]
    d.outputs_read_inputs = any(e.free_symbols & {sym[i] for i in spec.inputs} for e in outputs)
    runtime = {
        "derivatives": [hoist(e, x) for e in f],
        "observe": [hoist(e, x) for e in observed],
        "output": [hoist(e, x) for e in outputs],
        "jacobian": [hoist(e, x) for e in [*jac, *dfdt]],
    }
    for h in hoist.hoisted.values():
        refs[h] = frame.slot(f"h:{h.name}")
    emitted = {
        "initial": emit_program(
            frame, refs, [to_sympy(trees["states"][s], sym) for s in spec.states]
        ),
        **{name: emit_program(frame, refs, exprs) for name, exprs in runtime.items()},
    }
    invariants = emit_program(frame, refs, list(hoist.hoisted))
    stores = [
        ("copy", refs[h], out)
        for h, out in zip(hoist.hoisted.values(), invariants.outputs, strict=True)
    ]
    # relations, their stores, then the invariants (which read the stored individual values)
    individual.code += [(op, dst, a, a, a) for op, dst, a in copies] + invariants.code
    d.individual = _program(frame, individual, stores)
    for name, program in emitted.items():
        setattr(d, name, _program(frame, program))
    d.linear = bool(x) and _is_linear(f, jac, x, [sym["t"], *(sym[i] for i in spec.inputs)])
    d.n_read_only = len(frame.constants)
    d.frame_init = [*frame.constants, *[0.0] * (frame.size - len(frame.constants))]
    d.parameter_slots = [frame.resolve(frame.slot(f"p:{p.name}")) for p in params]
    d.covariates = covariates
    d.covariate_slots = [frame.resolve(frame.slot(f"cov:{c}")) for c in covariates]
    # an effect module has no states: an empty range at the first writable slot
    d.state_base = (
        frame.resolve(frame.slot(f"s:{next(iter(spec.states))}")) if spec.states else d.n_read_only
    )
    d.input_base = (
        frame.resolve(frame.slot(f"in:{next(iter(spec.inputs))}")) if spec.inputs else d.state_base
    )
    d.time_slot = frame.resolve(frame.slot("t"))
    d.validate()
    return d


def _observable(name: str, value: object) -> _core.ObservableInfo:
    info = _core.ObservableInfo()
    info.name = name
    if isinstance(value, ObservableDef):
        info.unit, info.doc = value.unit, value.doc
    return info


def _residual_error(observable: str, kind: str, sd: str) -> _core.ResidualError:
    error = _core.ResidualError()
    error.observable, error.kind, error.sd_name = observable, kind, sd
    return error


def _signal(name: str, unit: str, doc: str, default: float | None = None) -> _core.ExpressionSignal:
    signal = _core.ExpressionSignal()
    signal.name, signal.unit, signal.doc = name, unit, doc
    signal.default_value = math.nan if default is None else default
    return signal


def _is_linear(
    f: list[sp.Expr], jac: list[sp.Expr], x: list[sp.Symbol], varying: list[sp.Symbol]
) -> bool:
    """dx = J x with J constant over a patient's solve: no state, time or input in J, f(0) = 0."""
    moving = set(x) | set(varying)
    if any(e.free_symbols & moving for e in jac):
        return False
    if any(fi.free_symbols & set(varying) for fi in f):
        return False
    at_zero = {xi: 0 for xi in x}
    return all(sp.expand(fi.subs(at_zero)) == 0 for fi in f)
