// Patient covariates used by the model library (PK covariate relations and immune links).
#pragma once

#include <string>
#include <vector>

namespace septrial {

struct Covariates {
  double weight_kg = 70.0;   ///< actual body weight
  double height_cm = 170.0;  ///< standing height
  double age_y = 50.0;       ///< age in years
  bool male = true;          ///< sex
  bool opioids = true;       ///< opioid co-medication (Eleveld 2018 covariate; ICU default yes)

  /// Throws InputError naming the field when a value breaks a covariate formula (non-finite,
  /// weight or height <= 0, age < 0).
  void validate(const std::string& prefix = "covariates") const;

  double bmi() const { return weight_kg / ((height_cm / 100.0) * (height_cm / 100.0)); }
  /// Fat-free mass, Al-Sallami 2015 as used by Eleveld 2018 (Eleveld et al. 2018, Br J Anaesth).
  double ffm_kg() const;
  /// Lean body mass, James 1976 (Schnider 1998).
  double lbm_james_kg() const;
};

/// Field names, in the order above (the bindings take covariates as named columns).
const std::vector<std::string>& covariate_names();

/// A covariate as a number, by the name model expressions use (weight_kg, height_cm, age_y; sex
/// and opioids as 1/0, sex 1 = male); InputError naming the allowed names otherwise.
double covariate_value(const Covariates& c, const std::string& name);

}  // namespace septrial
