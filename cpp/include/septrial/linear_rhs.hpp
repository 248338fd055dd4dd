// The right-hand side dx/dt = A x + b of a patient whose model is linear and time-invariant (a PK
// model without inflammation coupling or time-varying clearance), as a fixed-size dense product
// inlined into the stepper: no virtual calls, no signal bus, packed multiply-adds over the rows.
// A is the whole system's matrix (Patient::linear_system), so the terms of a row are summed in a
// different order than in the modules' own right-hand sides: results agree to rounding, not to
// the bit (the same for every thread count, as everything here is per patient).
#pragma once

#include <array>
#include <cstddef>

#include "septrial/patient.hpp"

namespace septrial {

template <std::size_t N>
class LinearRhs {
 public:
  /// Reads A and the current dosing rates from the patient; false (and unusable) when the model
  /// is not linear and time-invariant.
  bool bind(const Patient& patient, std::size_t* evals) {
    std::array<double, N * N> row_major{};
    if (patient.n_states() != N || !patient.linear_system(row_major.data(), b_.data())) return false;
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < N; ++j) a_[j * N + i] = row_major[i * N + j];
    patient_ = &patient;
    evals_ = evals;
    return true;
  }
  /// After Patient::set_rates_from: the zero-order inputs b.
  void rates_changed() {
    b_.fill(0.0);
    for (std::size_t c = 0; c < patient_->n_components(); ++c)
      patient_->component_input(c, b_.data() + patient_->component_offset(c));
  }

  template <class State>
  void operator()(const State& x, State& dx, double /*t*/) const {
    // Column by column: each column update is a packed multiply-add over all rows.
    std::array<double, N> acc;
    for (std::size_t i = 0; i < N; ++i) acc[i] = a_[i] * x[0];
    for (std::size_t j = 1; j < N; ++j)
      for (std::size_t i = 0; i < N; ++i) acc[i] += a_[j * N + i] * x[j];
    for (std::size_t i = 0; i < N; ++i) dx[i] = acc[i] + b_[i];
    ++*evals_;
  }

 private:
  std::array<double, N * N> a_{};  ///< column-major
  std::array<double, N> b_{};
  const Patient* patient_ = nullptr;
  std::size_t* evals_ = nullptr;
};

}  // namespace septrial
