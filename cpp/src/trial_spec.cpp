// Parsing of the trial specification (JSON built from a scenario by the Python layer). Every error
// names its JSON path and the allowed values.
#include <cmath>

#include "septrial/errors.hpp"
#include "septrial/trial_engine.hpp"

namespace septrial {

namespace {
using json = nlohmann::json;

double number(const json& j, const std::string& key, const std::string& path, double fallback) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  if (!j.at(key).is_number()) throw InputError(path + "." + key, "must be a number");
  return j.at(key).get<double>();
}

DoseRule::Anchor parse_anchor(const std::string& s, const std::string& path) {
  if (s == "infection") return DoseRule::Anchor::Infection;
  if (s == "icu") return DoseRule::Anchor::Icu;
  if (s == "screening") return DoseRule::Anchor::Screening;
  if (s == "randomisation") return DoseRule::Anchor::Randomisation;
  throw InputError(path, "unknown anchor '" + s + "'; allowed: infection, icu, screening, randomisation");
}

DoseRule parse_dose(const json& j, const ModelSpec& model, const std::string& path) {
  DoseRule d;
  d.drug = model.drug_index(j.value("drug", std::string()), path);
  const std::string type = j.value("type", std::string("infusion"));
  const std::string unit = j.value("unit", std::string());
  if (type == "bolus") {
    d.bolus = true;
    d.amount = number(j, "dose", path, NAN);
    if (unit != "mg" && unit != "mg/kg") throw InputError(path + ".unit", "allowed for a bolus: mg, mg/kg");
    d.per_kg = unit == "mg/kg";
    d.start_h = number(j, "time_h", path, 0.0);
  } else if (type == "infusion") {
    d.amount = number(j, "rate", path, NAN);
    if (unit != "mg/h" && unit != "mg/kg/h")
      throw InputError(path + ".unit", "allowed for an infusion: mg/h, mg/kg/h");
    d.per_kg = unit == "mg/kg/h";
    d.start_h = number(j, "start_h", path, 0.0);
    d.duration_h = number(j, "duration_h", path, std::numeric_limits<double>::infinity());
    d.while_ventilated = j.value("while_ventilated", false);
  } else {
    throw InputError(path + ".type", "unknown dose type '" + type + "'; allowed: bolus, infusion");
  }
  if (!std::isfinite(d.amount) || d.amount < 0)
    throw InputError(path + (d.bolus ? ".dose" : ".rate"), "must be >= 0");
  if (!std::isfinite(d.start_h) || d.start_h < 0) throw InputError(path + ".start_h", "must be >= 0 h");
  if (std::isnan(d.duration_h) || d.duration_h < 0) throw InputError(path + ".duration_h", "must be >= 0 h");
  d.anchor = parse_anchor(j.value("anchor", std::string("randomisation")), path + ".anchor");
  return d;
}

EndpointSpec parse_endpoint(const json& j, const ModelSpec& model, const std::string& path) {
  EndpointSpec e;
  e.name = j.value("name", std::string());
  if (e.name.empty()) throw InputError(path + ".name", "required");
  e.kind = EndpointSpec::parse_kind(j.value("kind", std::string("value")), path + ".kind");
  if (e.kind != EndpointSpec::Kind::EventBy) {
    e.observable = j.value("observable", std::string());
    const auto& obs = model.observables();
    std::size_t c = 0;
    while (c < obs.size() && obs[c].name != e.observable) ++c;
    if (c == obs.size()) {
      std::string allowed;
      for (const auto& o : obs) allowed += (allowed.empty() ? "" : ", ") + o.name;
      throw InputError(path + ".observable",
                       "unknown observable '" + e.observable + "'; allowed: " + allowed);
    }
    e.column = c;
  }
  e.time_h = number(j, "time_h", path, 72.0);
  e.baseline_h = number(j, "baseline_h", path, 0.0);
  e.from_h = number(j, "from_h", path, 0.0);
  e.to_h = number(j, "to_h", path, 72.0);
  e.every_h = number(j, "every_h", path, 24.0);
  e.threshold = number(j, "threshold", path, 0.0);
  e.above = j.value("direction", std::string("above")) == "above";
  if (!(e.every_h > 0)) throw InputError(path + ".every_h", "must be > 0 h");
  if (!(e.to_h >= e.from_h)) throw InputError(path + ".to_h", "must be >= from_h");
  if (e.time_h < 0 || e.baseline_h < 0 || e.from_h < 0) throw InputError(path, "times must be >= 0 h");
  return e;
}
}  // namespace

TrialEngine::TrialEngine(const json& spec) {
  model_ = find_model(spec.value("model", std::string("sepsis_esketamine")));
  typical_ = model_->default_parameters();
  if (spec.contains("params")) {
    for (const auto& [name, value] : spec.at("params").items()) {
      if (!value.is_number()) throw InputError("params." + name, "must be a number");
      typical_[model_->parameter_index(name)] = value.get<double>();
    }
  }
  model_->validate_parameters(typical_);
  variability_ = spec.value("variability", true);

  if (spec.contains("journey")) {
    const json& j = spec.at("journey");
    journey_.t_icu_median_h = number(j, "t_icu_median_h", "journey", journey_.t_icu_median_h);
    journey_.t_icu_sdlog = number(j, "t_icu_sdlog", "journey", journey_.t_icu_sdlog);
    journey_.screening_after_icu_h =
        number(j, "screening_after_icu_h", "journey", journey_.screening_after_icu_h);
    journey_.randomisation_delay_h =
        number(j, "randomisation_delay_h", "journey", journey_.randomisation_delay_h);
    journey_.follow_up_h = number(j, "follow_up_h", "journey", journey_.follow_up_h);
    journey_.sepsis3_min_acute_sofa =
        number(j, "sepsis3_min_acute_sofa", "journey", journey_.sepsis3_min_acute_sofa);
    journey_.max_attempts = static_cast<int>(number(j, "max_attempts", "journey", journey_.max_attempts));
    if (j.contains("ventilation")) {
      const json& v = j.at("ventilation");
      auto& vs = journey_.ventilation;
      vs.p_ref = number(v, "p_ref", "journey.ventilation", vs.p_ref);
      vs.sofa_ref = number(v, "sofa_ref", "journey.ventilation", vs.sofa_ref);
      vs.odds_ratio_per_point =
          number(v, "odds_ratio_per_point", "journey.ventilation", vs.odds_ratio_per_point);
      vs.duration_median_h = number(v, "duration_median_h", "journey.ventilation", vs.duration_median_h);
      vs.duration_sdlog = number(v, "duration_sdlog", "journey.ventilation", vs.duration_sdlog);
    }
  }
  journey_.validate();

  if (spec.contains("background")) {
    const auto& b = spec.at("background");
    for (std::size_t i = 0; i < b.size(); ++i) {
      background_.push_back(parse_dose(b[i], *model_, "background[" + std::to_string(i) + "]"));
    }
  }
  const json arms = spec.value("arms", json::array());
  if (arms.empty()) throw InputError("arms", "at least one arm is required");
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const std::string path = "arms[" + std::to_string(a) + "]";
    ArmSpec arm;
    arm.name = arms[a].value("name", "arm" + std::to_string(a));
    const json doses = arms[a].value("doses", json::array());
    for (std::size_t i = 0; i < doses.size(); ++i) {
      const std::string dose_path = path + ".doses[" + std::to_string(i) + "]";
      arm.doses.push_back(parse_dose(doses[i], *model_, dose_path));
      // A randomised arm cannot act before randomisation; earlier doses belong in "background".
      if (arm.doses.back().anchor != DoseRule::Anchor::Randomisation) {
        throw InputError(dose_path + ".anchor",
                         "arm doses start at randomisation; allowed: randomisation "
                         "(put doses given before it in background)");
      }
    }
    if (arms[a].contains("background_factor")) {
      for (const auto& [drug, f] : arms[a].at("background_factor").items()) {
        const std::string fpath = path + ".background_factor." + drug;
        if (!f.is_number() || f.get<double>() < 0) throw InputError(fpath, "must be a number >= 0");
        arm.background_factor.emplace_back(model_->drug_index(drug, fpath), f.get<double>());
      }
    }
    arms_.push_back(std::move(arm));
  }
  const json eps = spec.value("endpoints", json::array());
  for (std::size_t i = 0; i < eps.size(); ++i) {
    endpoints_.push_back(parse_endpoint(eps[i], *model_, "endpoints[" + std::to_string(i) + "]"));
  }
  if (spec.contains("measurement")) {
    const json& m = spec.at("measurement");
    measurement_.assay_noise = m.value("assay_noise", true);
    if (m.contains("lloq")) {
      for (const auto& [obs, v] : m.at("lloq").items()) {
        const auto& list = model_->observables();
        std::size_t c = 0;
        while (c < list.size() && list[c].name != obs) ++c;
        if (c == list.size()) throw InputError("measurement.lloq." + obs, "unknown observable");
        if (!v.is_number() || v.get<double>() < 0)
          throw InputError("measurement.lloq." + obs, "must be >= 0");
        measurement_.lloq.emplace_back(c, v.get<double>());
      }
    }
  }
  if (spec.contains("solver")) {
    const json& s = spec.at("solver");
    solver_.method = SolverOptions::parse_method(s.value("method", std::string("dopri5")));
    solver_.rtol = number(s, "rtol", "solver", solver_.rtol);
    solver_.atol = number(s, "atol", "solver", solver_.atol);
    solver_.max_steps = static_cast<std::size_t>(number(s, "max_steps", "solver", 200000));
  }
  solver_.validate();

  auto observable = [&](const std::string& name) {
    const auto& list = model_->observables();
    for (std::size_t c = 0; c < list.size(); ++c)
      if (list[c].name == name) return c;
    throw InputError("model", "model '" + model_->name() + "' has no observable '" + name +
                                  "' needed by the trial engine (use a septic patient model)");
  };
  sofa_col_ = observable("sofa");
  sofa_acute_col_ = observable("sofa_acute");
  hazard_state_ = model_->state_index("cum_hazard_state", "model");
}

}  // namespace septrial
