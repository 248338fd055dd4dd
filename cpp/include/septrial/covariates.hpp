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

  /// Throws InputError naming the field when a value is outside its physical range.
  void validate(const std::string& prefix = "covariates") const;

  double bmi() const { return weight_kg / ((height_cm / 100.0) * (height_cm / 100.0)); }
  /// Fat-free mass, Al-Sallami 2015 as used by Eleveld 2018 (pk-dossier §4.1).
  double ffm_kg() const;
  /// Lean body mass, James 1976 (Schnider 1998).
  double lbm_james_kg() const;
};

/// Names accepted from Python, in the order of the fields above.
const std::vector<std::string>& covariate_names();

}  // namespace septrial
