#include "septrial/journey.hpp"

#include <cmath>

#include "septrial/errors.hpp"

namespace septrial {

namespace {
void require(bool ok, const std::string& field, const std::string& what, double v) {
  if (!ok || !std::isfinite(v)) throw InputError("journey." + field, what + ", got " + format_number(v));
}
}  // namespace

void JourneySpec::validate() const {
  require(t_icu_median_h > 0, "t_icu_median_h", "must be > 0 h", t_icu_median_h);
  require(t_icu_sdlog >= 0, "t_icu_sdlog", "must be >= 0", t_icu_sdlog);
  require(screening_after_icu_h >= 0, "screening_after_icu_h", "must be >= 0 h", screening_after_icu_h);
  require(randomisation_delay_h >= 0, "randomisation_delay_h", "must be >= 0 h", randomisation_delay_h);
  require(follow_up_h > 0, "follow_up_h", "must be > 0 h", follow_up_h);
  require(sepsis3_min_acute_sofa >= 0, "sepsis3_min_acute_sofa", "must be >= 0", sepsis3_min_acute_sofa);
  if (max_attempts < 1) throw InputError("journey.max_attempts", "must be >= 1");
  const auto& v = ventilation;
  require(v.p_ref > 0 && v.p_ref < 1, "ventilation.p_ref", "must be in (0, 1)", v.p_ref);
  require(v.odds_ratio_per_point > 0, "ventilation.odds_ratio_per_point", "must be > 0",
          v.odds_ratio_per_point);
  require(v.duration_median_h > 0, "ventilation.duration_median_h", "must be > 0 h", v.duration_median_h);
  require(v.duration_sdlog >= 0, "ventilation.duration_sdlog", "must be >= 0", v.duration_sdlog);
  require(true, "ventilation.sofa_ref", "must be finite", v.sofa_ref);
}

JourneyDraws draw_journey(const JourneySpec& spec, std::uint64_t seed, std::uint64_t index, int attempt) {
  PatientRng rng = attempt_rng(seed, index, attempt, Stream::Outcome);
  JourneyDraws d{};
  d.t_icu_h = spec.t_icu_median_h * std::exp(spec.t_icu_sdlog * rng.normal());
  d.u_ventilation = rng.uniform();
  d.ventilation_h =
      spec.ventilation.duration_median_h * std::exp(spec.ventilation.duration_sdlog * rng.normal());
  d.death_threshold = -std::log(rng.uniform_open());
  return d;
}

double ventilation_probability(const VentilationSpec& spec, double sofa_at_icu) {
  const double logit = std::log(spec.p_ref / (1.0 - spec.p_ref)) +
                       std::log(spec.odds_ratio_per_point) * (sofa_at_icu - spec.sofa_ref);
  return 1.0 / (1.0 + std::exp(-logit));
}

}  // namespace septrial
