#include "septrial/linear_pk.hpp"

#include <algorithm>
#include <stdexcept>

namespace septrial {

void LinearPk::initial_state(double* x) const { std::fill(x, x + n_, 0.0); }

void LinearPk::publish(double, const double* x, SignalBus& bus) const {
  for (const auto& o : outputs_)
    if (o.publish) bus[o.slot] = o.scale * x[o.state];
}

std::vector<std::size_t> LinearPk::published_states() const {
  std::vector<std::size_t> states;
  for (const auto& o : outputs_)
    if (o.publish) states.push_back(o.state);
  return states;
}

void LinearPk::flow(std::size_t from, std::size_t to, double k, Modulation m) {
  flows_.push_back({from, to, k, m});
  auto& rates = rates_[static_cast<int>(m)];
  if (rates.empty()) rates.assign(n_ * n_, 0.0);
  rates[from * n_ + from] -= k;
  rates[to * n_ + from] += k;
  columns_ = RateColumns{};  // rebuilt at the next evaluation
}

void LinearPk::rhs(double t, const double* x, double* dx, const SignalBus& bus, double input_rate) const {
  const double il6 = e_il6_ > 0.0 ? bus[il6_slot_] : 0.0;
  const double factor[3] = {1.0, e_il6_ > 0.0 && il6 > 0.0 ? 1.0 - e_il6_ * il6 / (il6 + il6_50_) : 1.0,
                            1.0 + rise_per_h_ * std::max(t - rise_since_h_, 0.0)};
  double probe = 0.0;  // NaN when an amount is inf or NaN
  for (std::size_t j = 0; j < n_; ++j) probe += 0.0 * x[j];
  if (probe == 0.0) {
    if (!columns_.built()) columns_.build(n_, rates_, 3);  // once per patient, at the first evaluation
    columns_.apply(factor, x, dx);
  } else {
    // A non-finite amount: 0 * inf is NaN, so keep every term (the failure reads as before).
    std::fill(dx, dx + n_, 0.0);
    for (int m = 0; m < 3; ++m) {
      if (rates_[m].empty()) continue;
      const double* row = rates_[m].data();
      for (std::size_t i = 0; i < n_; ++i, row += n_) {
        double sum = 0.0;
        for (std::size_t j = 0; j < n_; ++j) sum += row[j] * x[j];
        dx[i] += factor[m] * sum;
      }
    }
  }
  if (dose_state_ >= 0) dx[dose_state_] += input_rate;
}

bool LinearPk::linear_system(const SignalBus&, double* A, std::size_t ld) const {
  // Time-invariant only when no flow is scaled by inflammation or time.
  if (e_il6_ > 0.0 || rise_per_h_ != 0.0) return false;
  for (std::size_t i = 0; i < n_; ++i) std::fill(A + i * ld, A + i * ld + n_, 0.0);
  for (const auto& rates : rates_) {
    if (rates.empty()) continue;
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t j = 0; j < n_; ++j) A[i * ld + j] += rates[i * n_ + j];
  }
  return true;
}

void LinearPk::observe(double, const double* x, const SignalBus&, double* out) const {
  for (std::size_t i = 0; i < outputs_.size(); ++i) out[i] = outputs_[i].scale * x[outputs_[i].state];
}

double param(const ModuleSpec& spec, const std::vector<double>& p, const std::string& name) {
  const std::size_t i = find_parameter(spec.parameters, name);
  if (i == npos) throw std::logic_error(spec.name + " has no parameter " + name);
  return p[i];
}

void add_icu_clearance_parameters(ModuleSpec& spec) {
  spec.parameters.push_back(
      positive("ICU_CL_mult", 1.0, "1",
               "[A] ICU multiplier on esketamine clearance; scenario range 0.5-1.3, our bracket for how "
               "changes in liver blood flow and CYP activity in sepsis could move S-ketamine clearance; "
               "no esketamine PK study in sepsis exists, so this is not an estimate (docs/model.md)"));
  spec.parameters.push_back(nonnegative("omega2_ICU_CL", 0.0, "1",
                                        "[A] extra log-normal variance on ICU_CL_mult; 0.148 = CV 40% as in "
                                        "Flint 2017 (PICU); 0 = off"));
  spec.random_effects.push_back({"ICU_CL_mult", "omega2_ICU_CL"});
  spec.outputs.push_back({"esketamine_ng_ml", "ng/mL", "S-ketamine plasma concentration"});
  spec.inputs.push_back(
      {"il6_pg_ml", "pg/mL", "plasma IL-6, for the inflammation -> clearance coupling", 0.0});
  auto e = fraction("E_il6_CL", 0.0,
                    "[A] inflammation -> clearance coupling: CL x (1 - E_il6_CL IL6/(IL6 + IL6_50_CL)); "
                    "0 = off; by analogy with CYP3A substrates such as midazolam, whose clearance falls with "
                    "inflammation (Vet 2016, Am J Respir Crit Care Med 194:58)");
  spec.parameters.push_back(e);
  spec.parameters.push_back(
      positive("IL6_50_CL", 300.0, "pg/mL",
               "[A] IL-6 giving half the coupling effect (adult COVID ICU: IL-6 116->300 "
               "pg/mL went with a 24% lower midazolam CL; Smeets 2022, Clin Pharmacokinet)"));
}

IcuClearance icu_clearance(const ModuleSpec& spec, const std::vector<double>& p) {
  return {param(spec, p, "ICU_CL_mult"), param(spec, p, "E_il6_CL"), param(spec, p, "IL6_50_CL")};
}

void mammillary(LinearPk& pk, const std::vector<double>& volumes, double cl,
                const std::vector<double>& intercompartmental, LinearPk::Modulation elimination) {
  const std::size_t sink = pk.n_states() - 1;
  pk.flow(0, sink, cl / volumes[0], elimination);
  for (std::size_t j = 1; j < volumes.size(); ++j) {
    const double q = intercompartmental[j - 1];
    pk.flow(0, j, q / volumes[0]);
    pk.flow(j, 0, q / volumes[j]);
  }
}

}  // namespace septrial
