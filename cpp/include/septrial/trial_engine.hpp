// The virtual trial in the engine: screening-time state of each patient of the sampling frame
// (phase A: infection -> ICU -> screening, the same for every arm), then each arm's treatment and
// follow-up from that state (phase B) reduced to endpoints. Patient i depends only on
// (seed, i): any thread count, chunking or executor gives the same numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  int drug = 0;
  bool bolus = false;
  double amount = 0.0;  ///< bolus mg (mg/kg) or infusion mg/h (mg/kg/h)
  bool per_kg = false;
  Anchor anchor = Anchor::Randomisation;
  double start_h = 0.0;
  double duration_h = std::numeric_limits<double>::infinity();
  bool while_ventilated = false;  ///< only for intubated patients, ends at extubation
};

struct ArmSpec {
  std::string name;
  std::vector<DoseRule> doses;                           ///< from the arm's protocol
  std::vector<std::pair<int, double>> background_factor; ///< drug -> rate factor after randomisation
};

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
  explicit TrialEngine(const nlohmann::json& spec);

  const ModelSpec& model() const { return *model_; }
  const std::vector<ArmSpec>& arms() const { return arms_; }
  const std::vector<EndpointSpec>& endpoints() const { return endpoints_; }
  std::vector<std::string> screen_columns() const;
  std::vector<std::string> treat_columns() const;

  /// Phase A for patients `indices` with covariates (n x 5: weight, height, age, male, opioids).
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
  Regimen build_regimen(const std::vector<DoseRule>& background, const ArmSpec* arm, double t_icu,
                        double t_screen, double t_rand, bool intubated, double extubation_h,
                        double boluses_after_h) const;
  std::vector<double> patient_parameters(std::uint64_t seed, std::uint64_t index, int attempt) const;

  std::shared_ptr<const ModelSpec> model_;
  std::vector<double> typical_;
  bool variability_ = true;
  JourneySpec journey_;
  std::vector<DoseRule> background_;
  std::vector<ArmSpec> arms_;
  std::vector<EndpointSpec> endpoints_;
  MeasurementSpec measurement_;
  SolverOptions solver_;
  std::size_t hazard_state_ = 0, sofa_col_ = 0, sofa_acute_col_ = 0;
};

}  // namespace septrial
