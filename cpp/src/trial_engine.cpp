#include "septrial/trial_engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "septrial/errors.hpp"
#include "septrial/patient.hpp"
#include "septrial/simulate.hpp"

namespace septrial {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<std::string> kScreenFixed{"attempts",  "t_icu_h",      "t_screen_h", "sofa_icu",    "sofa",
                                            "intubated", "ventilated_h", "alive",      "death_time_h"};
}  // namespace

std::vector<std::string> TrialEngine::screen_columns() const {
  auto cols = kScreenFixed;
  for (const auto& o : model_->observables()) cols.push_back("screening_" + o.name);
  return cols;
}

std::vector<std::string> TrialEngine::treat_columns() const {
  std::vector<std::string> cols;
  for (const auto& e : endpoints_) {
    cols.push_back(e.name);
    cols.push_back(e.flag_name());
  }
  cols.push_back("t_rand_h");
  cols.push_back("death_rel_h");  // +inf: alive at the end of follow-up
  cols.push_back("followed_h");   // follow-up after randomisation (censoring time)
  return cols;
}

std::vector<double> TrialEngine::patient_parameters(std::uint64_t seed, std::uint64_t index,
                                                    int attempt) const {
  if (!variability_) return typical_;
  PatientRng rng = attempt_rng(seed, index, attempt, Stream::Parameters);
  return apply_random_effects(*model_, typical_, rng);
}

Regimen TrialEngine::build_regimen(const std::vector<DoseRule>& background, const ArmSpec* arm, double t_icu,
                                   double t_screen, double t_rand, bool intubated, double extubation_h,
                                   double boluses_after_h) const {
  Regimen r;
  auto anchor_time = [&](DoseRule::Anchor a) {
    switch (a) {
      case DoseRule::Anchor::Infection:
        return 0.0;
      case DoseRule::Anchor::Icu:
        return t_icu;
      case DoseRule::Anchor::Screening:
        return t_screen;
      case DoseRule::Anchor::Randomisation:
        return t_rand;
    }
    return 0.0;
  };
  auto add = [&](const DoseRule& d, double factor_after_rand) {
    const double start = anchor_time(d.anchor) + d.start_h;
    if (!std::isfinite(start)) return;  // anchored after the phase being simulated
    if (d.bolus) {
      const double f = start >= t_rand ? factor_after_rand : 1.0;
      if (start > boluses_after_h) r.boluses.push_back({d.drug, start, d.amount * f, d.per_kg});
      return;
    }
    if (d.while_ventilated && !intubated) return;
    double end = start + d.duration_h;
    if (d.while_ventilated) end = std::min(end, extubation_h);
    if (!(end > start)) return;
    if (factor_after_rand == 1.0 || end <= t_rand) {
      r.infusions.push_back({d.drug, start, end, d.amount, d.per_kg});
      return;
    }
    if (start < t_rand) r.infusions.push_back({d.drug, start, t_rand, d.amount, d.per_kg});
    r.infusions.push_back({d.drug, std::max(start, t_rand), end, d.amount * factor_after_rand, d.per_kg});
  };
  for (const auto& d : background) {
    double factor = 1.0;
    if (arm)
      for (const auto& [drug, f] : arm->background_factor)
        if (drug == d.drug) factor = f;
    add(d, factor);
  }
  if (arm)
    for (const auto& d : arm->doses) add(d, 1.0);
  return r;
}

ScreenResult TrialEngine::screen(const std::vector<Covariates>& covariates,
                                 const std::vector<std::uint64_t>& indices, std::uint64_t seed, int threads,
                                 RunControl& control, const std::function<void()>& poll) const {
  if (covariates.size() != indices.size()) throw InputError("indices", "one index per patient");
  for (std::size_t i = 0; i < covariates.size(); ++i)
    covariates[i].validate("covariates[" + std::to_string(i) + "]");
  ScreenResult res;
  res.columns = screen_columns();
  const std::size_t n = indices.size(), nc = res.columns.size(), ns = model_->states().size();
  const std::size_t n_obs = model_->observables().size();
  res.values.assign(n * nc, kNaN);
  res.states.assign(n * ns, kNaN);
  res.status.resize(n);

  parallel_for(
      n, threads, control,
      [&](std::size_t i) {
        double* row = res.values.data() + i * nc;
        std::vector<double> obs(n_obs), x(ns), x_icu(ns);
        for (int attempt = 0; attempt < journey_.max_attempts; ++attempt) {
          const JourneyDraws jd = draw_journey(journey_, seed, indices[i], attempt);
          const auto params = patient_parameters(seed, indices[i], attempt);
          const double t_icu = jd.t_icu_h, t_screen = t_icu + journey_.screening_after_icu_h;
          // Up to ICU admission: doses anchored before it only (ventilation is decided there).
          Patient before(model_, params, covariates[i],
                         build_regimen(background_, nullptr, t_icu, t_screen, kInf, false, t_icu, -1.0));
          const Crossing death{hazard_state_, jd.death_threshold};
          double t_death = kInf;
          auto keep = [&](std::size_t, double t, const double* s) {
            std::copy(s, s + ns, x_icu.begin());
            before.observe(t, s, obs.data());
          };
          SolveStatus st = integrate_patient(before, 0.0, {t_icu}, solver_, keep, &death, &t_death);
          if (!st.ok) {
            res.status[i] = st;
            return;
          }
          if (t_death <= t_icu || obs[sofa_acute_col_] < journey_.sepsis3_min_acute_sofa)
            continue;  // not an ICU sepsis
          const double sofa_icu = obs[sofa_col_];
          const bool intubated = jd.u_ventilation < ventilation_probability(journey_.ventilation, sofa_icu);
          const double extubation = intubated ? t_icu + jd.ventilation_h : t_icu;
          Patient after(
              model_, params, covariates[i],
              build_regimen(background_, nullptr, t_icu, t_screen, kInf, intubated, extubation, t_icu));
          auto at_screen = [&](std::size_t, double t, const double* s) {
            std::copy(s, s + ns, x.begin());
            after.observe(t, s, obs.data());
          };
          st =
              integrate_patient(after, t_icu, {t_screen}, solver_, at_screen, &death, &t_death, x_icu.data());
          res.status[i] = st;
          if (!st.ok) return;
          const bool alive = !(t_death <= t_screen);
          const double fixed[] = {
              static_cast<double>(attempt),
              t_icu,
              t_screen,
              sofa_icu,
              obs[sofa_col_],
              intubated ? 1.0 : 0.0,
              intubated ? std::min(jd.ventilation_h, journey_.screening_after_icu_h) : 0.0,
              alive ? 1.0 : 0.0,
              alive ? kNaN : t_death};
          std::copy(std::begin(fixed), std::end(fixed), row);
          std::copy(obs.begin(), obs.end(), row + kScreenFixed.size());
          std::copy(x.begin(), x.end(), res.states.begin() + static_cast<std::ptrdiff_t>(i * ns));
          return;
        }
        res.status[i] = {false, "no septic ICU presentation in max_attempts infections", 0};
      },
      poll);
  return res;
}

TreatResult TrialEngine::treat(const std::vector<Covariates>& covariates,
                               const std::vector<std::uint64_t>& indices, const std::vector<int>& attempts,
                               const std::vector<char>& intubated, const std::vector<double>& states, int arm,
                               const std::vector<std::string>& override_names,
                               const std::vector<double>& overrides, const std::vector<double>& grid_h,
                               std::uint64_t seed, int threads, RunControl& control,
                               const std::function<void()>& poll) const {
  const std::size_t n = indices.size(), ns = model_->states().size(), n_obs = model_->observables().size();
  if (arm < 0 || static_cast<std::size_t>(arm) >= arms_.size()) {
    throw InputError("arm", "no arm " + std::to_string(arm) + " (have " + std::to_string(arms_.size()) + ")");
  }
  if (attempts.size() != n || intubated.size() != n || states.size() != n * ns || covariates.size() != n) {
    throw InputError("screening", "screening table and states must have one row per patient");
  }
  for (std::size_t i = 0; i < n; ++i) {
    covariates[i].validate("covariates[" + std::to_string(i) + "]");
    if (attempts[i] < 0 || attempts[i] >= journey_.max_attempts) {
      throw InputError("attempts[" + std::to_string(i) + "]",
                       "must be in [0, journey.max_attempts), got " + std::to_string(attempts[i]));
    }
  }
  std::vector<std::size_t> override_index;
  for (const auto& name : override_names)
    override_index.push_back(model_->parameter_index(name, "overrides"));
  if (overrides.size() != n * override_names.size()) throw InputError("overrides", "must be n x len(names)");
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < override_index.size(); ++k) {
      const auto& info = model_->parameters()[override_index[k]];
      const double v = overrides[i * override_index.size() + k];
      if (!info.admits(v)) {
        throw InputError("overrides." + info.name,
                         "must be in " + info.range_text() + ", got " + format_number(v));
      }
    }
  }
  for (std::size_t g = 0; g < grid_h.size(); ++g) {
    if (!(grid_h[g] >= 0) || (g > 0 && grid_h[g] < grid_h[g - 1]))
      throw InputError("grid_h", "must be increasing, >= 0");
  }

  // Every endpoint's sampling times, relative to randomisation, sorted and unique.
  std::vector<double> rel;
  for (const auto& e : endpoints_)
    for (double t : e.times()) rel.push_back(t);
  std::sort(rel.begin(), rel.end());
  rel.erase(std::unique(rel.begin(), rel.end(), [](double a, double b) { return std::abs(a - b) < 1e-9; }),
            rel.end());

  // Follow-up only as far as an endpoint or the trajectory grid needs (a 72 h endpoint does not
  // pay for 28 days); the whole follow-up when nothing else is asked for.
  double followed_h = 0.0;
  for (const auto& e : endpoints_) {
    followed_h = std::max(followed_h, e.kind == EndpointSpec::Kind::EventBy ? e.time_h : e.times().back());
  }
  if (!grid_h.empty()) followed_h = std::max(followed_h, grid_h.back());
  if (endpoints_.empty() && grid_h.empty()) followed_h = journey_.follow_up_h;

  TreatResult res;
  res.columns = treat_columns();
  const std::size_t nc = res.columns.size(), ng = grid_h.size();
  res.values.assign(n * nc, kNaN);
  res.trajectories.assign(n * ng * n_obs, kNaN);
  res.status.resize(n);
  const ArmSpec& arm_spec = arms_[static_cast<std::size_t>(arm)];

  parallel_for(
      n, threads, control,
      [&](std::size_t i) {
        const JourneyDraws jd = draw_journey(journey_, seed, indices[i], attempts[i]);
        auto params = patient_parameters(seed, indices[i], attempts[i]);
        for (std::size_t k = 0; k < override_index.size(); ++k) {
          params[override_index[k]] = overrides[i * override_index.size() + k];
        }
        const double t_icu = jd.t_icu_h, t_screen = t_icu + journey_.screening_after_icu_h;
        const double t_rand = t_screen + journey_.randomisation_delay_h;
        const double extubation = intubated[i] ? t_icu + jd.ventilation_h : t_icu;
        Patient patient(model_, params, covariates[i],
                        build_regimen(background_, &arm_spec, t_icu, t_screen, t_rand, intubated[i] != 0,
                                      extubation, t_screen));
        // One output grid: endpoint samples, trajectory grid, end of follow-up.
        std::vector<double> times;
        for (double t : rel) times.push_back(t_rand + t);
        for (double t : grid_h) times.push_back(t_rand + t);
        times.push_back(t_rand + followed_h);
        std::vector<std::size_t> order(times.size());
        for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
        std::vector<double> sorted(times.size());
        for (std::size_t k = 0; k < order.size(); ++k) sorted[k] = times[order[k]];

        std::vector<double> samples(rel.size() * n_obs);
        std::vector<char> censored(rel.size() * n_obs, 0);
        double* traj = res.trajectories.data() + i * ng * n_obs;
        auto sink = [&](std::size_t k, double t, const double* x) {
          const std::size_t slot = order[k];
          if (slot < rel.size()) {
            patient.observe(t, x, samples.data() + slot * n_obs);
          } else if (slot < rel.size() + ng) {
            patient.observe(t, x, traj + (slot - rel.size()) * n_obs);
          }
        };
        const Crossing death{hazard_state_, jd.death_threshold};
        double t_death = kInf;
        const double* x0 = states.data() + i * ns;
        res.status[i] = integrate_patient(patient, t_screen, sorted, solver_, sink, &death, &t_death, x0);
        if (!res.status[i].ok) return;
        // Assay: noise keyed by (patient, time after randomisation, observable), the same in every
        // arm and whatever else is measured; then the LLOQ.
        for (std::size_t k = 0; k < rel.size(); ++k) {
          double* row = samples.data() + k * n_obs;
          if (measurement_.assay_noise) add_residual_error(*model_, params, row, seed, indices[i], rel[k]);
          for (const auto& [col, lloq] : measurement_.lloq) {
            if (row[col] < lloq) {
              row[col] = lloq;
              censored[k * n_obs + col] = 1;
            }
          }
        }
        const double death_rel = std::isfinite(t_death) ? t_death - t_rand : kInf;
        double* out = res.values.data() + i * nc;
        reduce_endpoints(endpoints_, rel, samples, censored, n_obs, death_rel, out);
        out[2 * endpoints_.size()] = t_rand;
        out[2 * endpoints_.size() + 1] = death_rel;
        out[2 * endpoints_.size() + 2] = followed_h;
      },
      poll);
  return res;
}

}  // namespace septrial
