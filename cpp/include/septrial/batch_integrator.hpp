// Many patients on one thread, interleaved: with dopri5 on a fixed-size state of one nonlinear
// module (the Reynolds core, a specification module), a few patients are stepped together stage
// by stage (Dopri5Dense::try_steps), so that their independent dependency chains overlap in the
// CPU. Each patient's arithmetic is exactly that of integrate_patient, so results are
// bit-identical to it whatever the grouping; other models, methods and sizes run one by one
// (where interleaving was measured not to help: batch_integrator.cpp).
#pragma once

#include <cstddef>
#include <vector>

#include "septrial/integrator.hpp"

namespace septrial {

/// One patient to integrate: its results go to `sink` and `status` (all owned by the caller).
struct PatientTask {
  Patient* patient = nullptr;
  const OutputSink* sink = nullptr;
  const double* initial_state = nullptr;  ///< null: the model's own initial state
  SolveStatus* status = nullptr;
};

/// Patients stepped together on one thread by integrate_patients.
inline constexpr std::size_t kInterleavedPatients = 4;

/// integrate_patient(*task.patient, t_start, times, options, *task.sink, nullptr, nullptr,
/// task.initial_state) for every task, into *task.status; an InputError propagates as there.
void integrate_patients(const std::vector<PatientTask>& tasks, double t_start,
                        const std::vector<double>& times, const SolverOptions& options);

}  // namespace septrial
