#include "septrial/expression_program.hpp"

#include <algorithm>
#include <cmath>

#include "septrial/errors.hpp"

namespace septrial {

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names{
      "copy", "add",  "sub", "mul", "div",         "neg",        "pow",         "exp",
      "log",  "sqrt", "abs", "min", "max",         "sign",       "lt",          "le",
      "gt",   "ge",   "eq",  "ne",  "logical_and", "logical_or", "logical_not", "select"};
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

void Program::run(double* f) const {
  for (const Instruction& in : code) {
    const double a = f[in.a], b = f[in.b];
    double r;
    switch (in.op) {
      case Op::Copy:
        r = a;
        break;
      case Op::Add:
        r = a + b;
        break;
      case Op::Sub:
        r = a - b;
        break;
      case Op::Mul:
        r = a * b;
        break;
      case Op::Div:
        r = a / b;
        break;
      case Op::Neg:
        r = -a;
        break;
      case Op::Pow:
        r = std::pow(a, b);
        break;
      case Op::Exp:
        r = std::exp(a);
        break;
      case Op::Log:
        r = std::log(a);
        break;
      case Op::Sqrt:
        r = std::sqrt(a);
        break;
      case Op::Abs:
        r = std::abs(a);
        break;
      case Op::Min:
        r = std::min(a, b);
        break;
      case Op::Max:
        r = std::max(a, b);
        break;
      case Op::Sign:
        r = a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0);
        break;
      case Op::Lt:
        r = a < b;
        break;
      case Op::Le:
        r = a <= b;
        break;
      case Op::Gt:
        r = a > b;
        break;
      case Op::Ge:
        r = a >= b;
        break;
      case Op::Eq:
        r = a == b;
        break;
      case Op::Ne:
        r = a != b;
        break;
      case Op::And:
        r = (a != 0.0) && (b != 0.0);
        break;
      case Op::Or:
        r = (a != 0.0) || (b != 0.0);
        break;
      case Op::Not:
        r = a == 0.0;
        break;
      case Op::Select:
        r = a != 0.0 ? b : f[in.c];
        break;
      default:
        r = std::nan("");
        break;
    }
    f[in.dst] = r;
  }
}

}  // namespace septrial
