// The patient journey of MODEL.md §1: infection onset (t = 0), ICU admission and intubation,
// screening, randomisation, study drug, follow-up. Every time and probability is a named field.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "septrial/random.hpp"

namespace septrial {

struct VentilationSpec {
  double p_ref = 0.82;  ///< [A] chance of invasive ventilation at sofa_ref, set so that 62% of the frame is
                        ///< ventilated >= 24 h at screening (cohort-dossier §2); any IMV then ~0.76
  double sofa_ref = 8.0;  ///< SOFA at ICU admission where p_ref applies
  double odds_ratio_per_point = 1.3;  ///< [A] per SOFA point
  double duration_median_h = 72.0;  ///< [A] log-normal ventilation duration
  double duration_sdlog = 1.2;  ///< [A]
};

struct JourneySpec {
  double t_icu_median_h = 12.0;  ///< [A] infection onset -> ICU admission, log-normal median
  double t_icu_sdlog = 0.75;  ///< [A] gives a ~4-48 h range
  double screening_after_icu_h = 24.0;  ///< inclusion needs >= 24 h of ventilation
  double randomisation_delay_h = 2.0;  ///< [A] screening -> randomisation and study-drug start
  double follow_up_h = 28.0 * 24.0;  ///< from randomisation
  double sepsis3_min_acute_sofa = 2.0;  ///< Sepsis-3: SOFA rise at ICU admission
  int max_attempts = 1000;  ///< infections drawn per patient before giving up
  VentilationSpec ventilation;

  void validate() const;  ///< InputError naming "journey.<field>"
};

/// One attempt's random journey quantities, drawn from (seed, index, attempt) only.
struct JourneyDraws {
  double t_icu_h;
  double u_ventilation;  ///< compared with the SOFA-dependent probability at admission
  double ventilation_h;  ///< duration if intubated
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
