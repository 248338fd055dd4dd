#include "septrial/patient.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "septrial/errors.hpp"

namespace septrial {

std::vector<double> apply_random_effects(const ModelSpec& model, const std::vector<double>& typical,
                                         PatientRng& rng) {
  std::vector<double> out = typical;
  const std::uint64_t key = rng.bits();
  const auto& comps = model.components();
  for (std::size_t c = 0; c < comps.size(); ++c) {
    const ModuleSpec& spec = *comps[c].spec;
    const std::size_t base = model.parameter_offsets()[c];
    const std::size_t n = spec.random_effects.size();
    if (n == 0) continue;
    const std::uint64_t module = name_key(spec.name);
    Eigen::VectorXd z(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i)
      z[static_cast<Eigen::Index>(i)] =
          keyed_normal(key, module, name_key(spec.random_effects[i].parameter), 0);

    auto local = [&](const std::string& name) { return base + find_parameter(spec.parameters, name); };
    // Random effects with a positive variance form the covariance block; zero variances are off.
    std::vector<std::size_t> active;
    for (std::size_t i = 0; i < n; ++i) {
      if (out[local(spec.random_effects[i].variance_name)] > 0.0) active.push_back(i);
    }
    if (active.empty()) continue;
    const auto m = static_cast<Eigen::Index>(active.size());
    Eigen::MatrixXd omega = Eigen::MatrixXd::Zero(m, m);
    for (Eigen::Index a = 0; a < m; ++a) {
      omega(a, a) = out[local(spec.random_effects[active[static_cast<std::size_t>(a)]].variance_name)];
    }
    for (const auto& cov : spec.covariances) {
      Eigen::Index ia = -1, ib = -1;
      for (Eigen::Index a = 0; a < m; ++a) {
        const auto& p = spec.random_effects[active[static_cast<std::size_t>(a)]].parameter;
        if (p == cov.first) ia = a;
        if (p == cov.second) ib = a;
      }
      if (ia >= 0 && ib >= 0) omega(ia, ib) = omega(ib, ia) = out[local(cov.covariance_name)];
    }
    Eigen::LLT<Eigen::MatrixXd> llt(omega);
    if (llt.info() != Eigen::Success) {
      const std::string prefix = comps[c].prefix.empty() ? "" : comps[c].prefix + ".";
      throw InputError("params." + prefix + spec.covariances.front().covariance_name,
                       "the random-effect covariance matrix is not positive definite");
    }
    Eigen::VectorXd za(m);
    for (Eigen::Index a = 0; a < m; ++a)
      za[a] = z[static_cast<Eigen::Index>(active[static_cast<std::size_t>(a)])];
    const Eigen::VectorXd eta = llt.matrixL() * za;
    for (Eigen::Index a = 0; a < m; ++a) {
      out[local(spec.random_effects[active[static_cast<std::size_t>(a)]].parameter)] *= std::exp(eta[a]);
    }
  }
  return out;
}

Patient::Patient(std::shared_ptr<const ModelSpec> model, const std::vector<double>& params,
                 const Covariates& covariates, const Regimen& regimen)
    : model_(std::move(model)), covariates_(covariates), regimen_(regimen) {
  const auto& comps = model_->components();
  rates_.assign(comps.size(), 0.0);
  bus_.value = model_->bus_defaults();
  for (std::size_t c = 0; c < comps.size(); ++c) {
    const ModuleSpec& spec = *comps[c].spec;
    const auto first = params.begin() + static_cast<std::ptrdiff_t>(model_->parameter_offsets()[c]);
    std::vector<double> local(first, first + static_cast<std::ptrdiff_t>(spec.parameters.size()));
    ModuleContext ctx;
    ctx.input_slots = model_->input_slots(c);
    ctx.output_slots = model_->output_slots(c);
    const int drug = model_->component_drug()[c];
    if (drug >= 0) {
      double first_dose = std::numeric_limits<double>::infinity();
      for (const auto& b : regimen_.boluses)
        if (b.drug == drug) first_dose = std::min(first_dose, b.time_h);
      for (const auto& i : regimen_.infusions)
        if (i.drug == drug && i.rate > 0.0) first_dose = std::min(first_dose, i.start_h);
      ctx.first_dose_h = std::isfinite(first_dose) ? first_dose : 0.0;
    }
    modules_.push_back(spec.make(local, covariates_, ctx));
    n_states_ += modules_.back()->n_states();
  }
  // The states through which modules talk during integration (jacobian()).
  for (std::size_t c : model_->rhs_publish_order())
    for (std::size_t s : modules_[c]->published_states())
      coupling_states_.push_back(model_->state_offsets()[c] + s);
  if (modules_.size() == 1 && model_->rhs_publish_order().empty()) sole_ = modules_.front().get();
}

void Patient::initial_state(double* x) const {
  for (std::size_t c = 0; c < modules_.size(); ++c)
    modules_[c]->initial_state(x + model_->state_offsets()[c]);
}

void Patient::set_rates_from(double t) {
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    const int drug = model_->component_drug()[c];
    rates_[c] = drug >= 0 ? regimen_.rate_at(drug, t, covariates_.weight_kg) : 0.0;
  }
}

void Patient::apply_boluses(double t, double* x) const {
  for (const auto& b : regimen_.boluses) {
    if (b.time_h != t) continue;
    for (std::size_t c = 0; c < modules_.size(); ++c) {
      if (model_->component_drug()[c] != b.drug) continue;
      const int s = modules_[c]->dose_state();
      x[model_->state_offsets()[c] + static_cast<std::size_t>(s)] +=
          b.per_kg ? b.amount * covariates_.weight_kg : b.amount;
    }
  }
}

void Patient::publish(double t, const double* x) const {
  for (std::size_t c : model_->publish_order()) modules_[c]->publish(t, x + model_->state_offsets()[c], bus_);
}

void Patient::rhs(double t, const double* x, double* dx) const {
  if (sole_) {
    sole_->rhs(t, x, dx, bus_, rates_[0]);
    return;
  }
  // Only the signals some module reads: publishing an output nobody reads (the esketamine
  // concentration of a PK model on its own) costs a virtual call per evaluation for nothing.
  for (std::size_t c : model_->rhs_publish_order())
    modules_[c]->publish(t, x + model_->state_offsets()[c], bus_);
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    const std::size_t o = model_->state_offsets()[c];
    modules_[c]->rhs(t, x + o, dx + o, bus_, rates_[c]);
  }
}

bool Patient::jacobian(double t, const double* x, double* J, double* dfdt, std::size_t* rhs_evals) const {
  publish(t, x);
  const std::size_t n = n_states_;
  // A derivative may be infinite where the equations are not (x^0.75 at x = 0): such a block is
  // differenced instead.
  auto finite_block = [&](std::size_t o, std::size_t m) {
    for (std::size_t i = o; i < o + m; ++i)
      for (std::size_t j = o; j < o + m; ++j)
        if (!std::isfinite(J[i * n + j])) return false;
    return true;
  };
  if (modules_.size() == 1) {
    if (!modules_[0]->jacobian(t, x, bus_, J, n, dfdt)) return false;
    if (finite_block(0, n) &&
        (!dfdt || std::all_of(dfdt, dfdt + n, [](double v) { return std::isfinite(v); }))) {
      if (rhs_evals) *rhs_evals = 0;
      return true;
    }
  }
  // A composition: each module's own block analytically (its Jacobian, or its matrix when linear)
  // at the current signals; the columns through which modules talk (the states a module publishes
  // from, when another module reads its outputs) and the blocks of modules with neither, by
  // finite differences of the whole right-hand side; d(dx)/dt too (signals may depend on t).
  std::fill(J, J + n * n, 0.0);
  // Columns to difference: rows outside the module's block (coupling) or all rows (whole).
  jac_columns_.assign(2 * n, 0);
  char* coupling = jac_columns_.data();
  char* whole = coupling + n;
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    const std::size_t o = model_->state_offsets()[c], m = modules_[c]->n_states();
    if (m == 0) continue;
    double* block = J + o * n + o;
    const bool analytic = modules_[c]->jacobian(t, x + o, bus_, block, n, nullptr) ||
                          modules_[c]->linear_system(bus_, block, n);
    if (!analytic || !finite_block(o, m)) std::fill(whole + o, whole + o + m, char{1});
  }
  for (std::size_t j : coupling_states_) coupling[j] = 1;
  jac_work_.resize(3 * n);  // allocates on the first call only
  double* f0 = jac_work_.data();
  double* f1 = f0 + n;
  double* xp = f1 + n;
  std::copy(x, x + n, xp);
  rhs(t, x, f0);
  std::size_t evals = 1;
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    const std::size_t o = model_->state_offsets()[c], m = modules_[c]->n_states();
    for (std::size_t j = o; j < o + m; ++j) {
      if (!whole[j] && !coupling[j]) continue;
      const double h = difference_step(x[j], 1e-3);
      xp[j] = x[j] + h;
      rhs(t, xp, f1);
      ++evals;
      xp[j] = x[j];
      for (std::size_t i = 0; i < n; ++i)
        if (whole[j] || i < o || i >= o + m) J[i * n + j] = (f1[i] - f0[i]) / h;
    }
  }
  if (dfdt) {
    const double ht = difference_step(t, 1.0);
    rhs(t + ht, x, f1);
    ++evals;
    for (std::size_t i = 0; i < n; ++i) dfdt[i] = (f1[i] - f0[i]) / ht;
  }
  publish(t, x);  // leave the signals of (t, x) on the bus
  if (rhs_evals) *rhs_evals = evals;
  return true;
}

void Patient::component_input(std::size_t c, double* b) const {
  const int s = modules_[c]->dose_state();
  if (s >= 0) b[s] += rates_[c];
}

void Patient::rhs_of(double t, const double* x, double* dx,
                     const std::vector<std::size_t>& components) const {
  publish(t, x);
  for (std::size_t c : components) {
    const std::size_t o = model_->state_offsets()[c];
    modules_[c]->rhs(t, x + o, dx + o, bus_, rates_[c]);
  }
}

void Patient::observe(double t, const double* x, double* out) const {
  if (sole_) {  // no module reads a signal, so none needs publishing
    sole_->observe(t, x, bus_, out);
    return;
  }
  publish(t, x);
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    modules_[c]->observe(t, x + model_->state_offsets()[c], bus_, out + model_->observable_offsets()[c]);
  }
}

bool Patient::linear_system(double* A, double* b) const {
  const std::size_t n = n_states_;
  std::fill(A, A + n * n, 0.0);
  std::fill(b, b + n, 0.0);
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    const std::size_t o = model_->state_offsets()[c];
    if (!modules_[c]->linear_system(bus_, A + o * n + o, n)) return false;
    const int s = modules_[c]->dose_state();
    if (s >= 0) b[o + static_cast<std::size_t>(s)] = rates_[c];
  }
  return true;
}

std::vector<std::pair<std::string, double>> Patient::structural() const {
  std::vector<std::pair<std::string, double>> all;
  const auto& comps = model_->components();
  for (std::size_t c = 0; c < modules_.size(); ++c) {
    for (auto kv : modules_[c]->structural()) {
      if (!comps[c].prefix.empty()) kv.first = comps[c].prefix + "." + kv.first;
      all.push_back(kv);
    }
  }
  return all;
}

}  // namespace septrial
