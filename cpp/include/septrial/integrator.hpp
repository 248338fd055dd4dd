// Integration of one patient between dosing breakpoints with Boost.Odeint: the stepper is
// re-initialised at every breakpoint and never steps across a rate change; outputs come from
// dense output at the requested times.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "septrial/patient.hpp"

namespace septrial {

struct SolverOptions {
  /// Hybrid: linear time-invariant components (the PK) in closed form between dose changes, fed
  /// as known functions of time to the other components, which dopri5 integrates.
  enum class Method { Dopri5, Rosenbrock4, Exact, Hybrid };
  Method method = Method::Dopri5;
  double rtol = 1e-6;
  double atol = 1e-9;
  std::size_t max_steps = 200000;  ///< per patient, over the whole simulation
  double first_step_h = 1e-3;

  void validate() const;
};

/// Solver method names, in enum order (the bindings publish them to Python's specification).
const std::vector<std::pair<std::string, SolverOptions::Method>>& method_names();

/// Per-patient outcome: a failed patient does not abort a cohort.
struct SolveStatus {
  bool ok = true;
  std::string reason;
  std::size_t steps = 0;
  std::size_t rhs_evals = 0;  ///< right-hand-side evaluations (a Jacobian's included)
};

/// A monotone state crossing a threshold (e.g. cumulative hazard passing -ln U): its time is
/// located on the dense output to within the solver tolerance.
struct Crossing {
  std::size_t state = 0;
  double threshold = 0.0;
};

/// Receives the state at every requested output time (in order).
using OutputSink = std::function<void(std::size_t time_index, double t, const double* x)>;

/// Integrates from t_start to times.back(), calling `sink` at every requested time (times must be
/// non-decreasing and >= t_start). `crossing_time` (if given) receives the first crossing time
/// or +inf.
SolveStatus integrate_patient(Patient& patient, double t_start, const std::vector<double>& times,
                              const SolverOptions& options, const OutputSink& sink,
                              const Crossing* crossing = nullptr, double* crossing_time = nullptr,
                              const double* initial_state = nullptr);

}  // namespace septrial
