// The virtual trial in the engine: screening-time state of each patient of the sampling frame
// (phase A: infection -> ICU -> screening, the same for every arm), then each arm's treatment and
// follow-up from that state (phase B) reduced to endpoints. Patient i depends only on
// (seed, i): any thread count, chunking or executor gives the same numbers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "septrial/covariates.hpp"
#include "septrial/endpoints.hpp"
#include "septrial/integrator.hpp"
#include "septrial/journey.hpp"
#include "septrial/model.hpp"
#include "septrial/parallel.hpp"
#include "septrial/regimen.hpp"

namespace septrial {

/// A dose in a protocol, placed relative to a journey event.
struct DoseRule {
  enum class Anchor { Infection, Icu, Screening, Randomisation };
  std::string drug;  ///< drug name, one of the model's drugs
  bool bolus = false;
  double amount = 0.0;  ///< bolus mg (mg/kg) or infusion mg/h (mg/kg/h)
  bool per_kg = false;
  Anchor anchor = Anchor::Randomisation;
  double start_h = 0.0;
  double duration_h = std::numeric_limits<double>::infinity();
  bool while_ventilated = false;  ///< only for intubated patients, ends at extubation
};

/// Anchor names, in enum order (the bindings publish them; Python's specification uses them).
const std::vector<std::pair<std::string, DoseRule::Anchor>>& anchor_names();

struct ArmSpec {
  std::string name;
  std::vector<DoseRule> doses;                      ///< from the arm's protocol
  std::map<std::string, double> background_factor;  ///< drug -> rate factor after randomisation
};

/// Everything the trial engine needs, as typed data (built by the Python specification layer,
/// which holds every default and every user-facing check; the engine keeps invariant checks).
struct TrialSpec {
  std::string model;
  std::map<std::string, double> params;  ///< qualified parameter names -> typical values
  bool variability = true;
  JourneySpec journey;
  std::vector<DoseRule> background;
  std::vector<ArmSpec> arms;
  std::vector<EndpointSpec> endpoints;
  MeasurementSpec measurement;
  SolverOptions solver;
  /// Roles mapped by the scenario (role -> observable, or qualified state for state roles); a role
  /// not listed is the one the model declares.
  std::map<std::string, std::string> roles;
};

/// A quantity of the screening table (phase A), published so that criteria can name it.
struct ScreenQuantity {
  std::string name;
  std::string unit;
  std::string kind;  ///< "number" or "bool"
  double lower;
  double upper;
  std::string doc;
};
/// The fixed screening columns, in table order (observables at screening follow them).
const std::vector<ScreenQuantity>& screen_quantities();

/// Per-patient screening-time table (phase A).
struct ScreenResult {
  std::vector<std::string> columns;
  std::vector<double> values;  ///< n x columns
  std::vector<double> states;  ///< n x n_states at screening
  std::vector<SolveStatus> status;
};

/// Per-patient endpoints (phase B).
struct TreatResult {
  std::vector<std::string> columns;
  std::vector<double> values;        ///< n x columns
  std::vector<double> trajectories;  ///< n x grid x observables, when a grid was asked for
  std::vector<SolveStatus> status;
};

class TrialEngine {
 public:
  explicit TrialEngine(const TrialSpec& spec);

  const ModelSpec& model() const { return *model_; }
  const std::vector<std::string>& arm_names() const { return arm_names_; }
  const std::vector<EndpointSpec>& endpoints() const { return endpoints_; }
  std::vector<std::string> screen_columns() const;
  std::vector<std::string> treat_columns() const;

  /// Phase A for patients `indices` with their covariates.
  ScreenResult screen(const std::vector<Covariates>& covariates, const std::vector<std::uint64_t>& indices,
                      std::uint64_t seed, int threads, RunControl& control,
                      const std::function<void()>& poll = {}) const;

  /// Phase B in `arm`, from the screening states of screen(). `override_names` / `overrides`
  /// (n x k) set parameters for the treatment phase (e.g. I_max, IC50 of an assumption grid).
  /// `grid_h` (relative to randomisation) asks for trajectories too.
  TreatResult treat(const std::vector<Covariates>& covariates, const std::vector<std::uint64_t>& indices,
                    const std::vector<int>& attempts, const std::vector<char>& intubated,
                    const std::vector<double>& states, int arm,
                    const std::vector<std::string>& override_names, const std::vector<double>& overrides,
                    const std::vector<double>& grid_h, std::uint64_t seed, int threads, RunControl& control,
                    const std::function<void()>& poll = {}) const;

 private:
  /// A protocol dose with its drug resolved to the model's drug index.
  struct Dose {
    DoseRule rule;
    int drug = 0;
  };
  struct Arm {
    std::string name;
    std::vector<Dose> doses;
    std::vector<std::pair<int, double>> background_factor;
  };
  std::vector<Dose> resolve_doses(const std::vector<DoseRule>& rules, const std::string& path) const;
  Regimen build_regimen(const std::vector<Dose>& background, const Arm* arm, double t_icu, double t_screen,
                        double t_rand, bool intubated, double extubation_h, double boluses_after_h) const;
  std::vector<double> patient_parameters(std::uint64_t seed, std::uint64_t index, int attempt) const;

  std::shared_ptr<const ModelSpec> model_;
  std::vector<double> typical_;
  bool variability_ = true;
  JourneySpec journey_;
  std::vector<Dose> background_;
  std::vector<Arm> arms_;
  std::vector<std::string> arm_names_;
  std::vector<EndpointSpec> endpoints_;
  bool assay_noise_ = true;
  std::vector<std::pair<std::size_t, double>> lloq_;  ///< observable column -> LLOQ
  SolverOptions solver_;
  std::size_t hazard_state_ = 0, sofa_col_ = 0, sofa_acute_col_ = 0;
};

}  // namespace septrial
