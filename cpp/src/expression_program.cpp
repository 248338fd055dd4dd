#include "septrial/expression_program.hpp"

#include <algorithm>
#include <cmath>

#include "septrial/errors.hpp"

namespace septrial {

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names{
      "copy", "add", "sub",         "mul",        "div",         "neg",    "pow",    "exp",    "log",
      "sqrt", "abs", "min",         "max",        "sign",        "lt",     "le",     "gt",     "ge",
      "eq",   "ne",  "logical_and", "logical_or", "logical_not", "select", "muladd", "mulsub", "negmuladd"};
  return names;
}

void Program::validate(std::size_t frame_size, std::size_t read_only, const std::string& field) const {
  for (std::size_t i = 0; i < code.size(); ++i) {
    const auto& in = code[i];
    const std::string where = field + ".code[" + std::to_string(i) + "]";
    if (static_cast<std::size_t>(in.op) >= static_cast<std::size_t>(Op::Count))
      throw InputError(where, "unknown opcode");
    if (std::max({in.dst, in.a, in.b, in.c}) >= frame_size)
      throw InputError(where, "slot outside the frame of " + std::to_string(frame_size) + " slots");
    if (in.dst < read_only)
      throw InputError(where, "writes read-only slot " + std::to_string(in.dst) + " (< " +
                                  std::to_string(read_only) + ")");
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i] >= frame_size)
      throw InputError(field + ".outputs[" + std::to_string(i) + "]",
                       "slot outside the frame of " + std::to_string(frame_size) + " slots");
  }
}

// One entry per opcode, in enum order: the value it writes, from the frame values A, B and C.
#define SEPTRIAL_EXPRESSION_OPS(X)                  \
  X(Copy, A)                                        \
  X(Add, A + B)                                     \
  X(Sub, A - B)                                     \
  X(Mul, A* B)                                      \
  X(Div, A / B)                                     \
  X(Neg, -A)                                        \
  X(Pow, std::pow(A, B))                            \
  X(Exp, std::exp(A))                               \
  X(Log, std::log(A))                               \
  X(Sqrt, std::sqrt(A))                             \
  X(Abs, std::abs(A))                               \
  X(Min, std::min(A, B))                            \
  X(Max, std::max(A, B))                            \
  X(Sign, A > 0.0 ? 1.0 : (A < 0.0 ? -1.0 : 0.0))   \
  X(Lt, static_cast<double>(A < B))                 \
  X(Le, static_cast<double>(A <= B))                \
  X(Gt, static_cast<double>(A > B))                 \
  X(Ge, static_cast<double>(A >= B))                \
  X(Eq, static_cast<double>(A == B))                \
  X(Ne, static_cast<double>(A != B))                \
  X(And, static_cast<double>(A != 0.0 && B != 0.0)) \
  X(Or, static_cast<double>(A != 0.0 || B != 0.0))  \
  X(Not, static_cast<double>(A == 0.0))             \
  X(Select, A != 0.0 ? B : C)                       \
  X(MulAdd, A* B + C)                               \
  X(MulSub, A* B - C)                               \
  X(NegMulAdd, C - A * B)

#define A f[ip->a]
#define B f[ip->b]
#define C f[ip->c]

void Program::run(double* f) const {
  if (native != 0) {
    reinterpret_cast<void (*)(double*)>(native)(f);
    return;
  }
  const Instruction* ip = code.data();
  const Instruction* const end = ip + code.size();
  if (ip == end) return;
#if defined(__GNUC__)
  // Direct threading (labels as values): every handler jumps to the next one itself, so each has
  // its own, well-predicted indirect branch.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define SEPTRIAL_LABEL(name, expr) &&op_##name,
  static void* const labels[] = {SEPTRIAL_EXPRESSION_OPS(SEPTRIAL_LABEL)};
#define SEPTRIAL_HANDLER(name, expr) \
  op_##name : f[ip->dst] = (expr);   \
  if (++ip == end) return;           \
  goto* labels[static_cast<std::size_t>(ip->op)];
  goto* labels[static_cast<std::size_t>(ip->op)];
  SEPTRIAL_EXPRESSION_OPS(SEPTRIAL_HANDLER)
#undef SEPTRIAL_HANDLER
#undef SEPTRIAL_LABEL
#pragma GCC diagnostic pop
#else
#define SEPTRIAL_CASE(name, expr) \
  case Op::name:                  \
    f[ip->dst] = (expr);          \
    break;
  for (; ip != end; ++ip) {
    switch (ip->op) {
      SEPTRIAL_EXPRESSION_OPS(SEPTRIAL_CASE)
      default:
        f[ip->dst] = std::nan("");
    }
  }
#undef SEPTRIAL_CASE
#endif
}

#undef A
#undef B
#undef C
#undef SEPTRIAL_EXPRESSION_OPS

}  // namespace septrial
