#include "septrial/regimen.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "septrial/errors.hpp"

namespace septrial {

namespace {
void check_drug(const std::string& field, int drug, int n_drugs) {
  if (drug < 0 || drug >= n_drugs) {
    throw InputError(field + ".drug", "the model carries no such drug (index " + std::to_string(drug) + ")");
  }
}
void check_nonnegative(const std::string& field, double v) {
  if (!std::isfinite(v) || v < 0.0)
    throw InputError(field, "must be finite and >= 0, got " + format_number(v));
}
}  // namespace

void Regimen::validate(int n_drugs) const {
  for (std::size_t i = 0; i < boluses.size(); ++i) {
    const std::string f = "doses.boluses[" + std::to_string(i) + "]";
    check_drug(f, boluses[i].drug, n_drugs);
    check_nonnegative(f + ".dose", boluses[i].amount);
    check_nonnegative(f + ".time_h", boluses[i].time_h);
  }
  for (std::size_t i = 0; i < infusions.size(); ++i) {
    const std::string f = "doses.infusions[" + std::to_string(i) + "]";
    const auto& inf = infusions[i];
    check_drug(f, inf.drug, n_drugs);
    check_nonnegative(f + ".rate", inf.rate);
    check_nonnegative(f + ".start_h", inf.start_h);
    if (std::isnan(inf.end_h) || inf.end_h < inf.start_h) {
      throw InputError(f + ".duration_h", "must be >= 0 (end before start)");
    }
  }
}

std::vector<double> Regimen::breakpoints(double t0, double t1) const {
  std::vector<double> b;
  auto add = [&](double t) {
    if (t >= t0 && t <= t1 && std::isfinite(t)) b.push_back(t);
  };
  for (const auto& d : boluses) add(d.time_h);
  for (const auto& d : infusions) {
    add(d.start_h);
    add(d.end_h);
  }
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return b;
}

double Regimen::rate_at(int drug, double t, double weight_kg) const {
  double r = 0.0;
  for (const auto& d : infusions) {
    if (d.drug == drug && d.start_h <= t && t < d.end_h) r += d.per_kg ? d.rate * weight_kg : d.rate;
  }
  return r;
}

double Regimen::amount_given(int drug, double t0, double t1, double weight_kg) const {
  double a = 0.0;
  for (const auto& d : boluses) {
    if (d.drug == drug && d.time_h >= t0 && d.time_h <= t1) a += d.per_kg ? d.amount * weight_kg : d.amount;
  }
  for (const auto& d : infusions) {
    if (d.drug != drug) continue;
    const double lo = std::max(t0, d.start_h), hi = std::min(t1, d.end_h);
    if (hi > lo) a += (hi - lo) * (d.per_kg ? d.rate * weight_kg : d.rate);
  }
  return a;
}

}  // namespace septrial
