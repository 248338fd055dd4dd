#include "septrial/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "septrial/batch_integrator.hpp"
#include "septrial/errors.hpp"
#include "septrial/patient.hpp"
#include "septrial/random.hpp"

namespace septrial {

namespace {
/// Patients per block of work (integrate_patients interleaves kInterleavedPatients of them at a
/// time); a block's inputs and patients exist only while it runs.
constexpr std::size_t kPatientsPerBlock = 32;
/// Small cohorts are cut into at least this many blocks per thread, so that every thread works
/// and a slow block does not leave the others idle.
constexpr std::size_t kBlocksPerThread = 4;

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

  // Patients go to the workers in blocks, integrated together (integrate_patients: interleaved,
  // bit-identical to one at a time); small cohorts get smaller blocks so that every thread works.
  const std::size_t n = r.patients.size(), threads = static_cast<std::size_t>(std::max(1, r.threads));
  const std::size_t block = std::clamp<std::size_t>(n / (kBlocksPerThread * threads), 1, kPatientsPerBlock);
  parallel_for_blocks(
      n, block, r.threads, control,
      [&](std::size_t begin, std::size_t end) {
        const std::size_t count = end - begin;
        std::vector<std::vector<double>> params(count);
        std::vector<std::unique_ptr<Patient>> patients(count);
        std::vector<OutputSink> sinks(count);
        std::vector<PatientTask> tasks(count);
        for (std::size_t j = 0; j < count; ++j) {
          const std::size_t i = begin + j;
          const PatientSpec& ps = r.patients[i];
          const std::uint64_t index = r.first_index + i;
          params[j] = ps.params;
          if (r.variability) {
            PatientRng rng(r.seed, index, Stream::Parameters);
            params[j] = apply_random_effects(model, params[j], rng);
          }
          patients[j] = std::make_unique<Patient>(r.model, params[j], ps.covariates,
                                                  ps.regimen ? *ps.regimen : no_doses);
          double* block_out = result.values.data() + i * row_block;
          const Patient& patient = *patients[j];
          const std::vector<double>& p = params[j];
          sinks[j] = [&r, &model, &patient, &p, block_out, index, n_cols, n_obs](std::size_t k, double t,
                                                                                 const double* x) {
            double* row = block_out + k * n_cols;
            patient.observe(t, x, row);
            if (r.residual_error) add_residual_error(model, p, row, r.seed, index, t);
            if (r.include_states) std::copy(x, x + patient.n_states(), row + n_obs);
          };
          tasks[j] = {patients[j].get(), &sinks[j],
                      ps.initial_state.empty() ? nullptr : ps.initial_state.data(), &result.status[i]};
        }
        integrate_patients(tasks, 0.0, r.times_h, r.options);
        for (std::size_t i = begin; i < end; ++i) {
          if (result.status[i].ok) continue;
          double* block_out = result.values.data() + i * row_block;
          std::fill(block_out, block_out + row_block, std::numeric_limits<double>::quiet_NaN());
        }
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
