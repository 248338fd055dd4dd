// Dosing regimens as data: boluses and zero-order infusions per drug, per kg or absolute.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace septrial {

struct BolusDose {
  int drug = 0;         ///< index of the drug in the model's drug list
  double time_h = 0.0;  ///< administration time
  double amount = 0.0;  ///< mg, or mg/kg when per_kg
  bool per_kg = false;
};

/// A constant-rate infusion on [start_h, end_h); overlapping infusions add up.
struct InfusionDose {
  int drug = 0;
  double start_h = 0.0;
  double end_h = std::numeric_limits<double>::infinity();
  double rate = 0.0;  ///< mg/h, or mg/kg/h when per_kg
  bool per_kg = false;
};

struct Regimen {
  std::vector<BolusDose> boluses;
  std::vector<InfusionDose> infusions;

  /// Throws InputError naming the dose (e.g. "doses.infusions[2].rate") for negative, NaN or
  /// out-of-order values and for unknown drugs.
  void validate(int n_drugs) const;
  /// Sorted, unique times at which a rate changes or a bolus is given, within [t0, t1].
  std::vector<double> breakpoints(double t0, double t1) const;
  /// Total rate of `drug` (mg/h) on the interval that starts at t, for a patient of weight_kg.
  double rate_at(int drug, double t, double weight_kg) const;
  /// Total mg of `drug` given in [t0, t1] (boluses at t0 and t1 included).
  double amount_given(int drug, double t0, double t1, double weight_kg) const;
};

}  // namespace septrial
