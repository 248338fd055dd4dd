#include "septrial/parameters.hpp"

#include <cmath>
#include <utility>

#include "septrial/errors.hpp"

namespace septrial {

bool ParameterInfo::admits(double v) const {
  if (!std::isfinite(v)) return false;
  const bool above = lower_inclusive ? v >= lower : v > lower;
  const bool below = upper_inclusive ? v <= upper : v < upper;
  return above && below;
}

std::string ParameterInfo::range_text() const {
  std::string lo = std::isinf(lower) ? "(-inf" : (lower_inclusive ? "[" : "(") + format_number(lower);
  std::string hi = std::isinf(upper) ? "inf)" : format_number(upper) + (upper_inclusive ? "]" : ")");
  return lo + ", " + hi;
}

ParameterInfo positive(std::string name, double value, std::string unit, std::string doc) {
  ParameterInfo p{std::move(name), value, std::move(unit), std::move(doc)};
  p.lower_inclusive = false;
  return p;
}

ParameterInfo nonnegative(std::string name, double value, std::string unit, std::string doc) {
  return ParameterInfo{std::move(name), value, std::move(unit), std::move(doc)};
}

ParameterInfo fraction(std::string name, double value, std::string doc) {
  ParameterInfo p{std::move(name), value, "1", std::move(doc)};
  p.upper = 1.0;
  return p;
}

ParameterInfo real(std::string name, double value, std::string unit, std::string doc) {
  ParameterInfo p{std::move(name), value, std::move(unit), std::move(doc)};
  p.lower = -std::numeric_limits<double>::infinity();
  return p;
}

const std::vector<std::string>& residual_error_kinds() {
  static const std::vector<std::string> names{"proportional", "exponential", "additive"};
  return names;
}

ResidualError::Kind residual_error_kind(const std::string& name, const std::string& field) {
  const auto& names = residual_error_kinds();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<ResidualError::Kind>(i);
  }
  std::string allowed;
  for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
  throw InputError(field, "unknown residual error kind '" + name + "'; allowed: " + allowed);
}

std::size_t find_parameter(const std::vector<ParameterInfo>& params, const std::string& name) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].name == name) return i;
  }
  return npos;
}

}  // namespace septrial
