// The hybrid solver: a composed model's linear time-invariant components (the PK) are solved in
// closed form between dose changes and enter the other components (the immune model) as known
// functions of time, so the explicit stepper sees only the non-stiff nonlinear part.
#pragma once

#include <vector>

#include "septrial/integrator.hpp"
#include "septrial/patient.hpp"

namespace septrial {

/// Like integrate_patient. Linear components: LinearPropagator per component; the rest: dopri5
/// with error control on their states only. A model with no nonlinear component is solved exactly
/// (unless a crossing is asked for); one with no linear component is integrated with dopri5.
SolveStatus integrate_hybrid(Patient& patient, double t_start, const std::vector<double>& times,
                             const SolverOptions& options, const OutputSink& sink, const Crossing* crossing,
                             double* crossing_time, const double* initial_state);

}  // namespace septrial
