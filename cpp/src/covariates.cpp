#include "septrial/covariates.hpp"

#include <cmath>

#include "septrial/errors.hpp"

namespace septrial {

void Covariates::validate(const std::string& prefix) const {
  // Invariants of the covariate formulas only; the plausible ranges users see are checked in
  // Python (septrial.spec.covariates).
  if (!std::isfinite(weight_kg) || weight_kg <= 0.0)
    throw InputError(prefix + ".weight_kg", "must be finite and > 0 kg, got " + format_number(weight_kg));
  if (!std::isfinite(height_cm) || height_cm <= 0.0)
    throw InputError(prefix + ".height_cm", "must be finite and > 0 cm, got " + format_number(height_cm));
  if (!std::isfinite(age_y) || age_y < 0.0)
    throw InputError(prefix + ".age_y", "must be finite and >= 0 y, got " + format_number(age_y));
}

double Covariates::ffm_kg() const {
  const double b = bmi();
  if (male) {
    return (0.88 + 0.12 / (1.0 + std::pow(age_y / 13.4, -12.7))) * 9270.0 * weight_kg / (6680.0 + 216.0 * b);
  }
  return (1.11 - 0.11 / (1.0 + std::pow(age_y / 7.1, -1.1))) * 9270.0 * weight_kg / (8780.0 + 244.0 * b);
}

double Covariates::lbm_james_kg() const {
  const double r = weight_kg / height_cm;
  return male ? 1.1 * weight_kg - 128.0 * r * r : 1.07 * weight_kg - 148.0 * r * r;
}

const std::vector<std::string>& covariate_names() {
  static const std::vector<std::string> names{"weight_kg", "height_cm", "age_y", "male", "opioids"};
  return names;
}

double covariate_value(const Covariates& c, const std::string& name) {
  if (name == "weight_kg") return c.weight_kg;
  if (name == "height_cm") return c.height_cm;
  if (name == "age_y") return c.age_y;
  if (name == "sex") return c.male ? 1.0 : 0.0;  // 1 = male, 0 = female
  if (name == "opioids") return c.opioids ? 1.0 : 0.0;
  throw InputError("covariates",
                   "unknown covariate '" + name + "'; allowed: weight_kg, height_cm, age_y, sex, opioids");
}

}  // namespace septrial
