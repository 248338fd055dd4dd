// Per-patient endpoints reduced inside the engine, so a large run keeps patients x endpoints
// numbers, never trajectories. Times are hours relative to randomisation.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace septrial {

struct EndpointSpec {
  enum class Kind { Value, Change, LogRatio, Auc, Min, Max, TimeTo, EventBy };
  std::string name;
  Kind kind = Kind::Value;
  std::string observable;     ///< model observable (not used by EventBy: death)
  std::size_t column = 0;     ///< resolved index of the observable
  double time_h = 72.0;       ///< Value / Change / LogRatio / EventBy
  double baseline_h = 0.0;    ///< Change / LogRatio
  double from_h = 0.0;        ///< Auc / Min / Max / TimeTo window
  double to_h = 72.0;
  double every_h = 24.0;      ///< sampling interval of the window
  double threshold = 0.0;     ///< TimeTo
  bool above = true;          ///< TimeTo: first sample >= threshold (true) or <= threshold

  /// Sampling times this endpoint needs (relative to randomisation).
  std::vector<double> times() const;
  /// Output columns: the value, then a flag (censored below LLOQ, or event observed).
  std::string flag_name() const;
};

/// Endpoint kind names, in enum order (the bindings publish them to Python's specification).
const std::vector<std::pair<std::string, EndpointSpec::Kind>>& endpoint_kind_names();

/// Assay model applied to every sampled value before endpoints are computed: the models'
/// residual errors, then the lower limits of quantification.
struct MeasurementSpec {
  bool assay_noise = true;
  std::map<std::string, double> lloq;  ///< observable -> lower limit of quantification
};

/// Reduces one patient's sampled observables to endpoint values.
/// `samples` is times x observables (already with noise); `censored` marks values below LLOQ
/// (already replaced by the LLOQ); `death_rel_h` is +inf if alive at the end of follow-up.
/// Output: 2 numbers per endpoint (value, flag); NaN value when the patient died before it.
void reduce_endpoints(const std::vector<EndpointSpec>& endpoints, const std::vector<double>& times,
                      const std::vector<double>& samples, const std::vector<char>& censored,
                      std::size_t n_obs, double death_rel_h, double* out);

}  // namespace septrial
