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

std::size_t observable_column(const ModelSpec& model, const std::string& name, const std::string& field) {
  const auto& list = model.observables();
  for (std::size_t c = 0; c < list.size(); ++c)
    if (list[c].name == name) return c;
  std::string allowed;
  for (const auto& o : list) allowed += (allowed.empty() ? "" : ", ") + o.name;
  throw InputError(field,
                   "model '" + model.name() + "' has no observable '" + name + "'; allowed: " + allowed);
}
}  // namespace

const std::vector<std::pair<std::string, DoseRule::Anchor>>& anchor_names() {
  using A = DoseRule::Anchor;
  static const std::vector<std::pair<std::string, A>> names{{"infection", A::Infection},
                                                            {"icu", A::Icu},
                                                            {"screening", A::Screening},
                                                            {"randomisation", A::Randomisation}};
  return names;
}

const std::vector<ScreenQuantity>& screen_quantities() {
  static const std::vector<ScreenQuantity> q{
      {"attempts", "1", "number", 0.0, kInf, "infections drawn before this septic ICU presentation"},
      {"t_icu_h", "h", "number", 0.0, kInf, "ICU admission, hours after infection onset"},
      {"t_screen_h", "h", "number", 0.0, kInf, "screening time, hours after infection onset"},
      {"sofa_icu", "points", "number", 0.0, 24.0, "SOFA score at ICU admission"},
      {"sofa", "points", "number", 0.0, 24.0, "SOFA score at screening"},
      {"intubated", "", "bool", 0.0, 1.0, "invasively ventilated from ICU admission"},
      {"ventilated_h", "h", "number", 0.0, kInf, "hours of invasive ventilation at screening"},
      {"alive", "", "bool", 0.0, 1.0, "alive at screening"},
      {"death_time_h", "h", "number", 0.0, kInf, "death before screening, hours after infection onset"}};
  return q;
}

TrialEngine::TrialEngine(const TrialSpec& spec)
    : model_(find_model(spec.model)), journey_(spec.journey), solver_(spec.solver) {
  typical_ = model_->default_parameters();
  for (const auto& [name, value] : spec.params) typical_[model_->parameter_index(name)] = value;
  model_->validate_parameters(typical_);
  variability_ = spec.variability;
  journey_.validate();
  solver_.validate();
  background_ = resolve_doses(spec.background, "background");
  if (spec.arms.empty()) throw InputError("arms", "at least one arm is required");
  for (std::size_t a = 0; a < spec.arms.size(); ++a) {
    const std::string path = "arms[" + std::to_string(a) + "]";
    Arm arm{spec.arms[a].name, resolve_doses(spec.arms[a].doses, path + ".doses"), {}};
    for (const auto& [drug, f] : spec.arms[a].background_factor) {
      if (!(f >= 0) || !std::isfinite(f))
        throw InputError(path + ".background_factor." + drug, "must be >= 0");
      arm.background_factor.emplace_back(model_->drug_index(drug, path + ".background_factor"), f);
    }
    arm_names_.push_back(arm.name);
    arms_.push_back(std::move(arm));
  }
  endpoints_ = spec.endpoints;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto& e = endpoints_[i];
    const std::string path = "endpoints[" + std::to_string(i) + "]";
    if (e.kind != EndpointSpec::Kind::EventBy)
      e.column = observable_column(*model_, e.observable, path + ".observable");
    if (!(e.every_h > 0)) throw InputError(path + ".every_h", "must be > 0 h");
    if (!(e.to_h >= e.from_h)) throw InputError(path + ".to_h", "must be >= from_h");
    if (!(e.time_h >= 0 && e.baseline_h >= 0 && e.from_h >= 0))
      throw InputError(path, "times must be >= 0 h");
  }
  assay_noise_ = spec.measurement.assay_noise;
  for (const auto& [obs, v] : spec.measurement.lloq) {
    if (!(v >= 0) || !std::isfinite(v)) throw InputError("measurement.lloq." + obs, "must be >= 0");
    lloq_.emplace_back(observable_column(*model_, obs, "measurement.lloq." + obs), v);
  }
  // The journey's needs are roles the model declares, never its state or observable names.
  for (const auto& [role, target] : spec.roles) {
    const auto& known = role_names();
    if (std::none_of(known.begin(), known.end(), [&](const RoleInfo& r) { return r.name == role; })) {
      std::string names;
      for (const auto& r : known) names += (names.empty() ? "" : ", ") + r.name;
      throw InputError("roles." + role, "unknown role; allowed: " + names);
    }
  }
  auto observable_role = [&](const std::string& role) {
    auto it = spec.roles.find(role);
    return it == spec.roles.end() ? model_->role_observable(role)
                                  : observable_column(*model_, it->second, "roles." + role);
  };
  sofa_col_ = observable_role("sofa");
  sofa_acute_col_ = observable_role("acute_sofa");
  auto hazard = spec.roles.find("cumulative_hazard");
  hazard_state_ = hazard == spec.roles.end() ? model_->role_state("cumulative_hazard")
                                             : model_->state_index(hazard->second, "roles.cumulative_hazard");
}

std::vector<TrialEngine::Dose> TrialEngine::resolve_doses(const std::vector<DoseRule>& rules,
                                                          const std::string& path) const {
  std::vector<Dose> out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const DoseRule& d = rules[i];
    if (!std::isfinite(d.amount) || d.amount < 0)
      throw InputError(p + (d.bolus ? ".dose" : ".rate"), "must be >= 0");
    if (!std::isfinite(d.start_h) || d.start_h < 0) throw InputError(p + ".start_h", "must be >= 0 h");
    if (std::isnan(d.duration_h) || d.duration_h < 0) throw InputError(p + ".duration_h", "must be >= 0 h");
    out.push_back({d, model_->drug_index(d.drug, p)});
  }
  return out;
}

std::vector<std::string> TrialEngine::screen_columns() const {
  std::vector<std::string> cols;
  for (const auto& q : screen_quantities()) cols.push_back(q.name);
  for (const auto& o : model_->observables()) cols.push_back("screening_" + o.name);
  // the same read-outs at ICU admission: the ICU clock's day-1 values (validation, calibration)
  for (const auto& o : model_->observables()) cols.push_back("icu_" + o.name);
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

Regimen TrialEngine::build_regimen(const std::vector<Dose>& background, const Arm* arm, double t_icu,
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
  auto add = [&](const Dose& dose, double factor_after_rand) {
    const DoseRule& d = dose.rule;
    const int drug = dose.drug;
    const double start = anchor_time(d.anchor) + d.start_h;
    if (!std::isfinite(start)) return;  // anchored after the phase being simulated
    if (d.bolus) {
      const double f = start >= t_rand ? factor_after_rand : 1.0;
      if (start > boluses_after_h) r.boluses.push_back({drug, start, d.amount * f, d.per_kg});
      return;
    }
    if (d.while_ventilated && !intubated) return;
    double end = start + d.duration_h;
    if (d.while_ventilated) end = std::min(end, extubation_h);
    if (!(end > start)) return;
    if (factor_after_rand == 1.0 || end <= t_rand) {
      r.infusions.push_back({drug, start, end, d.amount, d.per_kg});
      return;
    }
    if (start < t_rand) r.infusions.push_back({drug, start, t_rand, d.amount, d.per_kg});
    r.infusions.push_back({drug, std::max(start, t_rand), end, d.amount * factor_after_rand, d.per_kg});
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
        std::vector<double> obs(n_obs), obs_icu(n_obs), x(ns), x_icu(ns);
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
          obs_icu = obs;
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
          std::copy(obs.begin(), obs.end(), row + std::size(fixed));
          std::copy(obs_icu.begin(), obs_icu.end(), row + std::size(fixed) + n_obs);
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
  const Arm& arm_spec = arms_[static_cast<std::size_t>(arm)];

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
          if (assay_noise_) add_residual_error(*model_, params, row, seed, indices[i], rel[k]);
          for (const auto& [col, lloq] : lloq_) {
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
