// Named model parameters: typical values with units, documentation and allowed ranges.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace septrial {

struct ParameterInfo {
  std::string name;
  double value = 0.0;  ///< typical (default) value
  std::string unit;
  std::string doc;  ///< meaning and source (author, year, journal) or [A] for an assumption
  double lower = 0.0;
  double upper = std::numeric_limits<double>::infinity();
  bool lower_inclusive = true;
  bool upper_inclusive = true;

  bool admits(double v) const;
  std::string range_text() const;
};

/// Helpers to declare parameters concisely in the model files.
ParameterInfo positive(std::string name, double value, std::string unit, std::string doc);
ParameterInfo nonnegative(std::string name, double value, std::string unit, std::string doc);
ParameterInfo fraction(std::string name, double value, std::string doc);  // in [0, 1]
ParameterInfo real(std::string name, double value, std::string unit, std::string doc);  // any finite

/// A log-normal random effect: P_i = P_typ * exp(eta), eta ~ N(0, omega2).
/// The variance (and covariances) are themselves named parameters, so users can change or sweep them.
struct RandomEffect {
  std::string parameter;      ///< the parameter it multiplies
  std::string variance_name;  ///< parameter holding omega^2
};
struct RandomEffectCovariance {
  std::string first, second;  ///< parameter names (both must carry a RandomEffect)
  std::string covariance_name;
};

/// Residual (measurement) error on an observable, sized by a named parameter.
struct ResidualError {
  enum class Kind { Proportional, Exponential, Additive };
  std::string observable;
  Kind kind = Kind::Proportional;
  std::string sd_name;
};
/// Names of the residual error kinds, in enum order ("proportional", "exponential", "additive").
const std::vector<std::string>& residual_error_kinds();
/// The kind named `name`; InputError naming `field` and the allowed names otherwise.
ResidualError::Kind residual_error_kind(const std::string& name, const std::string& field);

/// Index of `name` in `params`, or npos.
std::size_t find_parameter(const std::vector<ParameterInfo>& params, const std::string& name);
constexpr std::size_t npos = static_cast<std::size_t>(-1);

}  // namespace septrial
