// Exact solution of linear time-invariant models (the PK library without inflammation coupling):
// between breakpoints dx/dt = A x + b is solved in closed form, so the answer has no step-size
// error and costs a few exponentials per output time.
#pragma once

#include <vector>

#include "septrial/integrator.hpp"
#include "septrial/patient.hpp"

namespace septrial {

/// Like integrate_patient, for patients whose model is linear (Patient::linear_system); throws
/// InputError("method", ...) otherwise. Transient states are propagated through the eigen-
/// decomposition of their block; absorbing states (no outflow, e.g. the eliminated amount)
/// accumulate their inflow in closed form.
SolveStatus integrate_linear_exactly(Patient& patient, double t_start, const std::vector<double>& times,
                                     const OutputSink& sink, const double* initial_state = nullptr);

}  // namespace septrial
