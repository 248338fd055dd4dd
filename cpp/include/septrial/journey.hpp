// The patient journey: infection onset (t = 0), ICU admission and intubation, screening,
// randomisation, study drug, follow-up. Every time and probability is a named field; the values
// and their sources live in the Python specification (septrial.spec.journey), which fills every
// field: the NaN defaults here only make a forgotten field fail validate().
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "septrial/random.hpp"

namespace septrial {

namespace detail {
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
}

struct VentilationSpec {
  double p_ref = detail::kUnset;                 ///< chance of invasive ventilation at sofa_ref
  double sofa_ref = detail::kUnset;              ///< SOFA at ICU admission where p_ref applies
  double odds_ratio_per_point = detail::kUnset;  ///< per SOFA point
  double duration_median_h = detail::kUnset;     ///< log-normal ventilation duration
  double duration_sdlog = detail::kUnset;
};

struct JourneySpec {
  double t_icu_median_h = detail::kUnset;  ///< infection onset -> ICU admission, log-normal median
  double t_icu_sdlog = detail::kUnset;
  double screening_after_icu_h = detail::kUnset;
  double randomisation_delay_h = detail::kUnset;  ///< screening -> randomisation and study-drug start
  double follow_up_h = detail::kUnset;            ///< from randomisation
  double sepsis3_min_acute_sofa = detail::kUnset;  ///< Sepsis-3: SOFA rise at ICU admission
  int max_attempts = 0;  ///< infections drawn per patient before giving up
  VentilationSpec ventilation;

  void validate() const;  ///< InputError naming "journey.<field>"
};

/// One attempt's random journey quantities, drawn from (seed, index, attempt) only.
struct JourneyDraws {
  double t_icu_h;
  double u_ventilation;    ///< compared with the SOFA-dependent probability at admission
  double ventilation_h;    ///< duration if intubated
  double death_threshold;  ///< -ln U: death when the cumulative hazard passes it
};

JourneyDraws draw_journey(const JourneySpec& spec, std::uint64_t seed, std::uint64_t index, int attempt);
/// Probability of invasive ventilation for a SOFA score at ICU admission.
double ventilation_probability(const VentilationSpec& spec, double sofa_at_icu);

/// Random streams of one infection attempt (rejected infections redraw everything but covariates).
inline PatientRng attempt_rng(std::uint64_t seed, std::uint64_t index, int attempt, Stream stream) {
  return PatientRng(
      seed, index,
      static_cast<Stream>(static_cast<std::uint32_t>(stream) + 16u * static_cast<std::uint32_t>(attempt)));
}

}  // namespace septrial
