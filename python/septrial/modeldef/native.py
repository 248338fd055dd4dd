"""Optional machine code for expression programs: with llvmlite installed, every program of a
model is also translated to LLVM IR and compiled in memory (no system compiler); the engine then
calls the machine code through a function pointer, still with no Python during integration. The
bytecode stays the reference (and the fallback where llvmlite is missing); both compute the same
IEEE operations in the same order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from septrial import _core

try:  # an optional dependency: `pip install llvmlite`
    import llvmlite.binding as llvm
    import llvmlite.ir as ir
except ImportError:  # pragma: no cover - depends on the environment
    llvm = ir = None

__all__ = ["available", "compile_native"]

#: Execution engines stay alive for the whole process: the engine may still run a replaced model.
_ENGINES: list[Any] = []
_MACHINE: list[Any] = []

_PROGRAMS = ("individual", "initial", "derivatives", "observe", "output", "jacobian")
_INTRINSIC = {
    "pow": "llvm.pow",
    "exp": "llvm.exp",
    "log": "llvm.log",
    "sqrt": "llvm.sqrt",
    "abs": "llvm.fabs",
}
_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "=="}


def available() -> bool:
    """Whether llvmlite is installed."""
    return llvm is not None


def _machine() -> Any:
    if not _MACHINE:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        _MACHINE.append(
            target.create_target_machine(
                cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3
            )
        )
    return _MACHINE[0]


def _function(module: Any, name: str, program: Any, constants: Sequence[float]) -> None:
    dbl = ir.DoubleType()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [dbl.as_pointer()]), name=name)
    fn.args[0].add_attribute("noalias")
    frame = fn.args[0]
    b = ir.IRBuilder(fn.append_basic_block())
    values: dict[int, Any] = {}
    zero, one = ir.Constant(dbl, 0.0), ir.Constant(dbl, 1.0)

    def get(slot: int) -> Any:
        if slot < len(constants):
            return ir.Constant(dbl, constants[slot])
        if slot not in values:
            values[slot] = b.load(b.gep(frame, [ir.Constant(ir.IntType(64), slot)]))
        return values[slot]

    def intrinsic(kind: str, *args: Any) -> Any:
        return b.call(module.declare_intrinsic(_INTRINSIC[kind], [dbl]), list(args))

    def truth(x: Any) -> Any:  # C++: x != 0.0 (true for NaN)
        return b.fcmp_unordered("!=", x, zero)

    for ins in program.code:
        op, a, c2, c3 = ins.op.name, get(ins.a), get(ins.b), get(ins.c)
        if op == "copy":
            r = a
        elif op in ("add", "sub", "mul", "div"):
            r = {"add": b.fadd, "sub": b.fsub, "mul": b.fmul, "div": b.fdiv}[op](a, c2)
        elif op == "neg":
            r = b.fneg(a)
        elif op in _INTRINSIC:
            r = intrinsic(op, a, c2) if op == "pow" else intrinsic(op, a)
        elif op == "min":  # std::min(a, b) = b < a ? b : a
            r = b.select(b.fcmp_ordered("<", c2, a), c2, a)
        elif op == "max":  # std::max(a, b) = a < b ? b : a
            r = b.select(b.fcmp_ordered("<", a, c2), c2, a)
        elif op == "sign":
            negative = b.select(b.fcmp_ordered("<", a, zero), ir.Constant(dbl, -1.0), zero)
            r = b.select(b.fcmp_ordered(">", a, zero), one, negative)
        elif op in _CMP:
            r = b.uitofp(b.fcmp_ordered(_CMP[op], a, c2), dbl)
        elif op == "ne":
            r = b.uitofp(b.fcmp_unordered("!=", a, c2), dbl)
        elif op == "logical_and":
            r = b.uitofp(b.and_(truth(a), truth(c2)), dbl)
        elif op == "logical_or":
            r = b.uitofp(b.or_(truth(a), truth(c2)), dbl)
        elif op == "logical_not":
            r = b.uitofp(b.fcmp_ordered("==", a, zero), dbl)
        elif op == "select":
            r = b.select(truth(a), c2, c3)
        elif op == "muladd":
            r = b.fadd(b.fmul(a, c2), c3)
        elif op == "mulsub":
            r = b.fsub(b.fmul(a, c2), c3)
        elif op == "negmuladd":
            r = b.fsub(c3, b.fmul(a, c2))
        else:  # pragma: no cover - every opcode is listed above
            raise AssertionError(op)
        values[ins.dst] = r
        b.store(r, b.gep(frame, [ir.Constant(ir.IntType(64), ins.dst)]))
    b.ret_void()


def compile_native(definition: _core.ExpressionModelDef) -> None:
    """Compiles every program of ``definition`` to machine code and records the entry points in
    the programs (``ExprProgram.native``)."""
    constants = list(definition.frame_init)[: definition.n_read_only]
    module = ir.Module(name=definition.name)
    module.triple = llvm.get_process_triple()
    names = {p: f"{p}_program" for p in _PROGRAMS}
    for p in _PROGRAMS:
        _function(module, names[p], getattr(definition, p), constants)
    parsed = llvm.parse_assembly(str(module))
    parsed.verify()
    machine = _machine()
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    builder = llvm.create_pass_builder(machine, options)
    builder.getModulePassManager().run(parsed, builder)
    engine = llvm.create_mcjit_compiler(parsed, machine)
    engine.finalize_object()
    _ENGINES.append(engine)
    for p in _PROGRAMS:
        program = getattr(definition, p)
        program.native = engine.get_function_address(names[p])
        setattr(definition, p, program)
