#include "septrial/covariates.hpp"

#include <cmath>

#include "septrial/errors.hpp"

namespace septrial {

namespace {
void check_range(const std::string& field, double v, double lo, double hi, const char* unit) {
  if (!std::isfinite(v) || v <= lo || v > hi) {
    throw InputError(field, "must be in (" + format_number(lo) + ", " + format_number(hi) + "] " + unit +
                                ", got " + format_number(v));
  }
}
}  // namespace

void Covariates::validate(const std::string& prefix) const {
  check_range(prefix + ".weight_kg", weight_kg, 0.0, 400.0, "kg");
  check_range(prefix + ".height_cm", height_cm, 30.0, 260.0, "cm");
  if (!std::isfinite(age_y) || age_y < 0.0 || age_y > 120.0) {
    throw InputError(prefix + ".age_y", "must be in [0, 120] years, got " + format_number(age_y));
  }
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
  static const std::vector<std::string> names{"weight_kg", "height_cm", "age_y", "sex", "opioids"};
  return names;
}

}  // namespace septrial
