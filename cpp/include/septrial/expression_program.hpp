// A compiled expression program: register-based bytecode that the engine evaluates in a tight loop
// with no allocation and no Python. Specification models (python/septrial/modeldef) are compiled
// into these once; every operand is a slot of one flat frame of doubles that holds constants,
// parameters, covariates, states, inputs, time and temporaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace septrial {

enum class Op : std::uint8_t {
  Copy,       ///< dst = a
  Add,        ///< dst = a + b
  Sub,        ///< dst = a - b
  Mul,        ///< dst = a * b
  Div,        ///< dst = a / b
  Neg,        ///< dst = -a
  Pow,        ///< dst = a ** b
  Exp,        ///< dst = exp(a)
  Log,        ///< dst = log(a)
  Sqrt,       ///< dst = sqrt(a)
  Abs,        ///< dst = |a|
  Min,        ///< dst = min(a, b)
  Max,        ///< dst = max(a, b)
  Sign,       ///< dst = sign(a) (0 at 0)
  Lt,         ///< dst = a < b ? 1 : 0
  Le,         ///< dst = a <= b
  Gt,         ///< dst = a > b
  Ge,         ///< dst = a >= b
  Eq,         ///< dst = a == b
  Ne,         ///< dst = a != b
  And,        ///< dst = a != 0 && b != 0
  Or,         ///< dst = a != 0 || b != 0
  Not,        ///< dst = a == 0
  Select,     ///< dst = a != 0 ? b : c
  MulAdd,     ///< dst = a * b + c
  MulSub,     ///< dst = a * b - c
  NegMulAdd,  ///< dst = c - a * b
  Count
};

/// Name of each opcode, in enum order (diagnostics and the bindings).
const std::vector<std::string>& op_names();

struct Instruction {
  Op op = Op::Copy;
  std::uint32_t dst = 0, a = 0, b = 0, c = 0;
};

/// A straight-line program; its results are the frame slots listed in `outputs` (a result may be
/// any slot, e.g. a constant or a parameter, with no instruction at all).
struct Program {
  std::vector<Instruction> code;
  std::vector<std::uint32_t> outputs;
  /// Address of machine code computing the same (`void(double* frame)`, compiled in memory from
  /// this program by python/septrial/modeldef/native.py), or 0: run() then interprets the code.
  std::uintptr_t native = 0;

  /// Throws InputError(field, ...) when an operand or output is outside a frame of `frame_size`
  /// slots, or an instruction writes one of the first `read_only` slots.
  void validate(std::size_t frame_size, std::size_t read_only, const std::string& field) const;
  /// Runs the code on `frame` (in place).
  void run(double* frame) const;
  /// Runs the code, then copies the outputs to `out`.
  void eval(double* frame, double* out) const {
    run(frame);
    for (std::size_t i = 0; i < outputs.size(); ++i) out[i] = frame[outputs[i]];
  }
};

}  // namespace septrial
