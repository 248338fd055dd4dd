#include "septrial/simulate.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "septrial/errors.hpp"
#include "septrial/patient.hpp"
#include "septrial/random.hpp"

namespace septrial {

namespace {
void validate(const BatchRequest& r) {
  if (!r.model) throw InputError("model", "missing");
  r.options.validate();
  if (r.times_h.empty()) throw InputError("times_h", "must contain at least one time");
  for (std::size_t i = 0; i < r.times_h.size(); ++i) {
    if (!std::isfinite(r.times_h[i]) || r.times_h[i] < 0.0) {
      throw InputError("times_h[" + std::to_string(i) + "]",
                       "must be finite and >= 0, got " + format_number(r.times_h[i]));
    }
    if (i > 0 && r.times_h[i] < r.times_h[i - 1]) {
      throw InputError("times_h[" + std::to_string(i) + "]", "times must be in increasing order");
    }
  }
  const auto n_drugs = static_cast<int>(r.model->drugs().size());
  for (std::size_t i = 0; i < r.patients.size(); ++i) {
    const auto& p = r.patients[i];
    const std::string where = r.patients.size() == 1 ? "" : "[" + std::to_string(i) + "]";
    p.covariates.validate("covariates" + where);
    r.model->validate_parameters(p.params, "params");
    if (p.regimen) p.regimen->validate(n_drugs);
    if (!p.initial_state.empty() && p.initial_state.size() != r.model->states().size()) {
      throw InputError("initial_state", "needs one value per state");
    }
  }
}
}  // namespace

void add_residual_error(const ModelSpec& model, const std::vector<double>& params, double* row,
                        std::uint64_t seed, std::uint64_t index, double time_h) {
  std::uint64_t time_key = 0;
  std::memcpy(&time_key, &time_h, sizeof time_key);
  const auto& comps = model.components();
  for (std::size_t c = 0; c < comps.size(); ++c) {
    const ModuleSpec& spec = *comps[c].spec;
    for (const auto& err : spec.residual_errors) {
      std::size_t o = 0;
      while (o < spec.observables.size() && spec.observables[o].name != err.observable) ++o;
      double& y = row[model.observable_offsets()[c] + o];
      const double sd = params[model.parameter_offsets()[c] + find_parameter(spec.parameters, err.sd_name)];
      // Keyed by the observable's name (not its column): the same measurement error whatever
      // the other modules of the composition.
      const double eps = keyed_normal(seed, index, time_key, name_key(err.observable));
      switch (err.kind) {
        case ResidualError::Kind::Proportional:
          y *= 1.0 + sd * eps;
          break;
        case ResidualError::Kind::Exponential:
          y *= std::exp(sd * eps);
          break;
        case ResidualError::Kind::Additive:
          y += sd * eps;
          break;
      }
    }
  }
}

BatchResult simulate_batch(const BatchRequest& r, RunControl& control, const std::function<void()>& poll) {
  validate(r);
  BatchResult result;
  const ModelSpec& model = *r.model;
  for (const auto& o : model.observables()) result.columns.push_back(o.name);
  if (r.include_states)
    for (const auto& s : model.states()) result.columns.push_back(s);
  const std::size_t n_obs = model.observables().size(), n_cols = result.columns.size();
  const std::size_t n_times = r.times_h.size(), row_block = n_times * n_cols;
  result.values.assign(r.patients.size() * row_block, std::numeric_limits<double>::quiet_NaN());
  result.status.resize(r.patients.size());
  static const Regimen no_doses;

  parallel_for(
      r.patients.size(), r.threads, control,
      [&](std::size_t i) {
        const PatientSpec& ps = r.patients[i];
        const std::uint64_t index = r.first_index + i;
        std::vector<double> params = ps.params;
        if (r.variability) {
          PatientRng rng(r.seed, index, Stream::Parameters);
          params = apply_random_effects(model, params, rng);
        }
        Patient patient(r.model, params, ps.covariates, ps.regimen ? *ps.regimen : no_doses);
        double* block = result.values.data() + i * row_block;
        auto sink = [&](std::size_t k, double t, const double* x) {
          double* row = block + k * n_cols;
          patient.observe(t, x, row);
          if (r.residual_error) add_residual_error(model, params, row, r.seed, index, t);
          if (r.include_states) std::copy(x, x + patient.n_states(), row + n_obs);
        };
        result.status[i] = integrate_patient(patient, 0.0, r.times_h, r.options, sink, nullptr, nullptr,
                                             ps.initial_state.empty() ? nullptr : ps.initial_state.data());
        if (!result.status[i].ok)
          std::fill(block, block + row_block, std::numeric_limits<double>::quiet_NaN());
      },
      poll);
  return result;
}

std::vector<std::pair<std::string, double>> structural_parameters(std::shared_ptr<const ModelSpec> model,
                                                                  const Covariates& covariates,
                                                                  const std::vector<double>& params) {
  covariates.validate();
  model->validate_parameters(params);
  Patient patient(model, params, covariates, Regimen{});
  return patient.structural();
}

}  // namespace septrial
