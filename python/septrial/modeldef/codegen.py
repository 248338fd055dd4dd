"""The built-in specification models (``python/septrial/models/*.toml``: the septic patient's
immune module, its drug-effect module, the % HLA-DR read-out) compiled into the engine as C++.

The specification is the one source of their equations, parameters and documentation: this
module checks and compiles it exactly as :func:`septrial.define_model` does
(:func:`~septrial.modeldef.compile.compile_model`), prints every expression program as
straight-line C++ (:mod:`septrial.modeldef.cxx`: the bytecode's operations, in its order) and
writes ``cpp/src/generated/<name>.cpp``, a :class:`Module` with its :class:`ModuleSpec`. The
generated files are committed, so building the package needs no Python beyond the build tools;
``tests/test_generated_modules.py`` fails when one is not what its specification generates.

    python -m septrial.modeldef.codegen           # regenerate cpp/src/generated/
    python -m septrial.modeldef.codegen --check   # exit 1 naming the stale files
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from septrial.modeldef.compile import compile_model
from septrial.modeldef.cxx import frame_statements, literal, statements
from septrial.modeldef.load import BUILTIN_SPECIFICATIONS, load_definition
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition

__all__ = ["generate", "generated_path", "in_source_tree", "main"]

_REPO = Path(__file__).resolve().parents[3]
_OUT = _REPO / "cpp" / "src" / "generated"


def in_source_tree() -> bool:
    """Whether this package runs from a source tree (which has cpp/src to generate into)."""
    return (_REPO / "cpp" / "src").is_dir()


def generated_path(spec_file: Path, out_dir: Path = _OUT) -> Path:
    """The C++ file generated from ``spec_file``."""
    return out_dir / f"{spec_file.stem}.cpp"


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON string escapes are valid C++


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Module"


class _Layout:
    """Which frame slot is what: constants, states, inputs, time, or a per-patient value."""

    def __init__(self, d: Any) -> None:
        self.constants = list(d.frame_init)[: d.n_read_only]
        self.states = {d.state_base + i: i for i in range(len(d.states))}
        self.inputs = {d.input_base + k: k for k in range(len(d.inputs))}
        self.time = d.time_slot

    def runtime(self, slot: int) -> str:
        """A slot read during integration."""
        if slot < len(self.constants):
            return literal(self.constants[slot])
        if slot in self.states:
            return f"x[{self.states[slot]}]"
        if slot in self.inputs:
            return f"bus[in_[{self.inputs[slot]}]]"
        if slot == self.time:
            return "t"
        return f"f_[{slot}]"

    def setup(self, slot: int) -> str:
        """A slot read while a patient's module is built (no states, inputs or time)."""
        if slot < len(self.constants):
            return literal(self.constants[slot])
        return f"f_[{slot}]"


def _signature(used: Iterable[str], params: list[tuple[str, str]]) -> str:
    """Parameters, unnamed where the body does not use them (no unused-parameter warnings)."""
    used = set(used)
    return ", ".join(f"{t} {n}" if n in used else f"{t} /*{n}*/" for t, n in params)


def _uses(layout: _Layout, read: set[int]) -> set[str]:
    names = set()
    if any(s in layout.states for s in read):
        names.add("x")
    if any(s in layout.inputs for s in read):
        names.add("bus")
    if layout.time in read:
        names.add("t")
    return names


def _method(
    layout: _Layout,
    program: Any,
    signature: str,
    params: list[tuple[str, str]],
    targets: list[str],
    extra: Callable[[set[str]], list[str]] = lambda used: [],
    always: Iterable[str] = (),
) -> tuple[list[str], set[int]]:
    lines, read = statements(program, layout.runtime, targets, indent="    ")
    used = _uses(layout, read) | set(always)
    tail = extra(used)
    head = signature.format(args=_signature(used, params))
    return [f"  {head} {{", *lines, *tail, "  }"], read


def _parameters(d: Any) -> list[str]:
    rows = []
    for p in d.parameters:
        fields = [
            _string(p.name),
            literal(p.value),
            _string(p.unit),
            _string(p.doc),
            literal(p.lower),
            literal(p.upper),
            "true" if p.lower_inclusive else "false",
            "true" if p.upper_inclusive else "false",
        ]
        rows.append(f"      {{{', '.join(fields)}}},")
    return rows


def _spec_lines(d: Any, class_name: str) -> list[str]:
    out = [
        "std::shared_ptr<const ModuleSpec> make_spec() {",
        "  auto spec = std::make_shared<ModuleSpec>();",
        f"  spec->name = {_string(d.name)};",
        f"  spec->description = {_string(d.description)};",
    ]
    if d.drug:
        out.append(f"  spec->drug = {_string(d.drug)};")
    out += [
        "  // {name, value, unit, doc, lower, upper, lower_inclusive, upper_inclusive}",
        "  spec->parameters = {",
        *_parameters(d),
        "  };",
    ]

    def listing(field: str, rows: list[str]) -> None:
        if rows:
            out.extend([f"  spec->{field} = {{", *[f"      {r}," for r in rows], "  };"])

    listing(
        "random_effects",
        [f"{{{_string(r.parameter)}, {_string(r.variance_name)}}}" for r in d.random_effects],
    )
    listing(
        "residual_errors",
        [
            f"{{{_string(e.observable)}, ResidualError::Kind::{e.kind.capitalize()}, "
            f"{_string(e.sd_name)}}}"
            for e in d.residual_errors
        ],
    )
    listing("states", [_string(s) for s in d.states])
    listing(
        "observables",
        [f"{{{_string(o.name)}, {_string(o.unit)}, {_string(o.doc)}}}" for o in d.observables],
    )
    listing("covariates", [_string(c) for c in d.covariates])
    listing(
        "inputs",
        [
            f"{{{_string(s.name)}, {_string(s.unit)}, {_string(s.doc)}, "
            f"{literal(s.default_value)}}}"
            for s in d.inputs
        ],
    )
    listing(
        "outputs",
        [f"{{{_string(s.name)}, {_string(s.unit)}, {_string(s.doc)}}}" for s in d.outputs],
    )
    if d.outputs_read_inputs:
        out.append("  spec->outputs_read_inputs = true;")
    listing("roles", [f"{{{_string(r.role)}, {_string(r.target)}}}" for r in d.roles])
    out += [
        "  spec->make = [](const std::vector<double>& p, const Covariates& cov, "
        "const ModuleContext& ctx) {",
        f"    return std::make_unique<{class_name}>(p, cov, ctx);",
        "  };",
        "  return spec;",
        "}",
    ]
    return out


def generate(spec_file: Path) -> str:
    """The C++ source generated from one specification file."""
    spec = validate_spec(ModelDefinition, load_definition(spec_file), root="")
    d = compile_model(spec)
    layout = _Layout(d)
    n, n_in, n_out = len(d.states), len(d.inputs), len(d.outputs)
    cls = _class_name(d.name)
    frame = len(d.frame_init)

    methods: list[str] = []
    reads: set[int] = set()

    def add(lines_read: tuple[list[str], set[int]]) -> None:
        lines, read = lines_read
        methods.extend(lines)
        reads.update(read)

    methods += [
        f"  std::size_t n_states() const override {{ return {n}; }}",
        "  void initial_state(double* x) const override { std::copy(x0_.begin(), x0_.end(), x); }",
    ]
    if d.drug:
        methods.append(f"  int dose_state() const override {{ return {d.dose_state}; }}")
    state_args = [("double", "t"), ("const double*", "x")]
    if n_out:
        publish, read_by_outputs = _method(
            layout,
            d.output,
            "void publish({args}) const override",
            [*state_args, ("SignalBus&", "bus")],
            [f"bus[out_[{k}]]" for k in range(n_out)],
            always=["bus"],
        )
        published = sorted(layout.states[s] for s in read_by_outputs if s in layout.states)
        methods += [
            "  std::vector<std::size_t> published_states() const override {",
            f"    return {{{', '.join(str(i) for i in published)}}};",
            "  }",
        ]
        add((publish, read_by_outputs))
    dose = [f"    dx[{d.dose_state}] += input_rate;"] if d.drug else []
    add(
        _method(
            layout,
            d.derivatives,
            "void rhs({args}) const override",
            [
                *state_args,
                ("double*", "dx"),
                ("const SignalBus&", "bus"),
                ("double", "input_rate"),
            ],
            [f"dx[{i}]" for i in range(n)],
            always=["dx", *(["input_rate"] if d.drug else [])] if n else [],
            extra=lambda used: dose,
        )
    )
    add(
        _method(
            layout,
            d.observe,
            "void observe({args}) const override",
            [*state_args, ("const SignalBus&", "bus"), ("double*", "out")],
            [f"out[{k}]" for k in range(len(d.observables))],
            always=["out"] if d.observables else [],
        )
    )
    if n and list(d.jacobian.outputs):
        targets = [f"J[{i} * ld + {j}]" for i in range(n) for j in range(n)]
        targets += [f"grad[{i}]" for i in range(n)]
        jac, read = statements(d.jacobian, layout.runtime, targets)
        reads.update(read)
        used = _uses(layout, read) | {"J", "ld", "dfdt"}
        args = _signature(
            used,
            [
                *state_args,
                ("const SignalBus&", "bus"),
                ("double*", "J"),
                ("std::size_t", "ld"),
                ("double*", "dfdt"),
            ],
        )
        methods += [
            f"  bool jacobian({args}) const override {{",
            f"    std::array<double, {n}> grad{{}};",
            *jac,
            "    if (dfdt) std::copy(grad.begin(), grad.end(), dfdt);",
            "    return true;",
            "  }",
        ]
        if d.linear:
            methods += [
                "  bool linear_system(const SignalBus& bus, double* A, std::size_t ld) const "
                "override {",
                f"    const std::array<double, {n}> zero{{}};",
                "    return jacobian(0.0, zero.data(), bus, A, ld, nullptr);",
                "  }",
            ]
    individual = list(d.individual.outputs)
    methods += [
        "  std::vector<std::pair<std::string, double>> structural() const override {",
        "    std::vector<std::pair<std::string, double>> out;",
        *[
            f"    out.emplace_back({_string(p.name)}, f_[{slot}]);"
            for p, slot in zip(d.parameters, individual, strict=False)
        ],
        "    return out;",
        "  }",
    ]
    reads.update(individual)

    # The constructor: parameters and covariates into the frame, the per-patient program
    # (covariate relations, invariants), then the initial state.
    init, init_read = statements(d.initial, layout.setup, [f"x0_[{i}]" for i in range(n)])
    reads.update(init_read)
    indiv = frame_statements(d.individual, layout.constants)
    slots = list(d.parameter_slots)
    if slots and slots == list(range(slots[0], slots[0] + len(slots))):  # the usual layout
        params = [f"    std::copy(p.begin(), p.end(), f_.begin() + {slots[0]});"]
    else:
        params = [f"    f_[{slot}] = p[{i}];" for i, slot in enumerate(slots)]
    ctor = [
        *params,
        *[
            f"    f_[{slot}] = covariate_value(cov, {_string(c)});"
            for c, slot in zip(d.covariates, d.covariate_slots, strict=True)
        ],
        *indiv,
        *init,
    ]
    uses_cov = bool(d.covariates)
    members = [f"  std::array<double, {frame}> f_{{}};  ///< per-patient values by frame slot"]
    if n:
        members.append(f"  std::array<double, {n}> x0_{{}};")
    else:
        members.append("  std::array<double, 0> x0_{};")
    if n_in:
        members.append(f"  std::array<std::size_t, {n_in}> in_{{}};  ///< their bus slots, inputs")
    if n_out:
        members.append(
            f"  std::array<std::size_t, {n_out}> out_{{}};  ///< bus slots of the outputs"
        )
    ctor_head = (
        f"  {cls}(const std::vector<double>& p, const Covariates& "
        f"{'cov' if uses_cov else '/*cov*/'}, const ModuleContext& "
        f"{'ctx' if n_in or n_out else '/*ctx*/'}) {{"
    )
    copies = []
    if n_in:
        copies.append("    std::copy(ctx.input_slots.begin(), ctx.input_slots.end(), in_.begin());")
    if n_out:
        copies.append(
            "    std::copy(ctx.output_slots.begin(), ctx.output_slots.end(), out_.begin());"
        )
    # the same text from a source tree and from an installed package
    builtin = spec_file.resolve().parent == BUILTIN_SPECIFICATIONS.resolve()
    origin = f"python/septrial/models/{spec_file.name}" if builtin else spec_file.name
    lines = [
        "// clang-format off",
        f"// Generated by `python -m septrial.modeldef.codegen` from {origin}:",
        "// do not edit; edit the specification and regenerate (tests/test_generated_modules.py).",
        f"// {d.name}: {d.description}",
        "#include <algorithm>",
        "#include <array>",
        "#include <cmath>",
        "#include <limits>",
        "#include <memory>",
        "#include <string>",
        "#include <utility>",
        "#include <vector>",
        "",
        '#include "septrial/model.hpp"',
        "",
        "namespace septrial {",
        "namespace {",
        "",
        f"class {cls} final : public Module {{",
        " public:",
        ctor_head,
        *copies,
        *ctor,
        "  }",
        *methods,
        "",
        " private:",
        *members,
        "};",
        "",
        *_spec_lines(d, cls),
        "",
        "const bool registered = register_module(make_spec());",
        "",
        "}  // namespace",
        "}  // namespace septrial",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m septrial.modeldef.codegen", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    parser.add_argument("--out", type=Path, default=_OUT, help="output folder")
    args = parser.parse_args(argv)
    if args.out == _OUT and not in_source_tree():
        print(f"not a source tree (no {_REPO / 'cpp' / 'src'}): pass --out", file=sys.stderr)
        return 2
    stale = []
    for spec_file in sorted(BUILTIN_SPECIFICATIONS.glob("*.toml")):
        target = generated_path(spec_file, args.out)
        text = generate(spec_file)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for target in stale:
        print(f"{'stale' if args.check else 'wrote'}: {target}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
