#include "septrial/batch_integrator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <string>

#include "dopri5_systems.hpp"
#include "septrial/dopri5.hpp"
#include "septrial/errors.hpp"

namespace septrial {

namespace {

using dopri5_systems::all_finite;
using dopri5_systems::kMaxLinearRhsStates;
using dopri5_systems::PatientFailure;
using dopri5_systems::SoleModuleSystem;

using Tasks = std::vector<const PatientTask*>;

/// Whether integrate_patient would integrate this patient with its sole module's own right-hand
/// side (the patients interleaved here): one module reading no signal, and not linear (a linear
/// model gets the dense product, LinearRhs, instead).
template <std::size_t N>
bool sole_nonlinear(const Patient& patient) {
  if (!patient.sole_module()) return false;
  if constexpr (N <= kMaxLinearRhsStates) {
    LinearRhs<N> linear;
    std::size_t unused = 0;
    if (linear.bind(patient, &unused)) return false;
  }
  return true;
}

SoleModuleSystem sole_system(const PatientTask& task) {
  const Patient& p = *task.patient;
  return {p.sole_module(), &p.bus(), &p.sole_rate(), &task.status->rhs_evals};
}

/// kInterleavedPatients lanes, each integrating one patient at a time with the driver of
/// integrate_patient (integrator.cpp, drive) cut into resumable parts: a lane whose patient is
/// done takes the next task, so the lanes stay full until the tasks run out.
template <std::size_t N>
class Lanes {
 public:
  Lanes(double t_start, const std::vector<double>& times, const SolverOptions& options)
      : t_start_(t_start), times_(times), options_(options), lanes_(L, Lane(options)) {}

  /// Integrates the tasks (all sole_nonlinear).
  void run(const Tasks& tasks) {
    std::size_t next = 0;
    // The lane's next task with a step to take; patients done (or failed) while being set up are
    // passed, and the lane is left empty when the tasks run out.
    auto refill = [&](Lane& lane) {
      while (next < tasks.size()) {
        const PatientTask* task = tasks[next++];
        lane.system = sole_system(*task);
        lane.task = task;
        if (guarded(lane, [&] { return start(lane); })) return;
      }
      lane.task = nullptr;
    };
    for (auto& lane : lanes_) refill(lane);
    std::array<Dopri5Dense<N>*, L> steppers{};
    std::array<SoleModuleSystem*, L> systems{};
    for (;;) {
      bool any = false;
      for (std::size_t l = 0; l < L; ++l) {
        Lane& lane = lanes_[l];
        steppers[l] = nullptr;
        while (lane.task && !lane.begun && !guarded(lane, [&] { return begin(lane); })) refill(lane);
        if (!lane.task) continue;
        steppers[l] = &lane.stepper;
        systems[l] = &lane.system;
        any = true;
      }
      if (!any) break;
      std::array<bool, L> accepted{};
      std::array<std::exception_ptr, L> errors{};
      Dopri5Dense<N>::template try_steps<L>(steppers, systems, accepted, errors);
      for (std::size_t l = 0; l < L; ++l) {
        Lane& lane = lanes_[l];
        if (!steppers[l]) continue;
        const bool more = guarded(lane, [&] {
          if (errors[l]) std::rethrow_exception(errors[l]);  // as integrate_patient would see it
          return after_trial(lane, accepted[l]);
        });
        if (!more) refill(lane);
      }
    }
  }

 private:
  static constexpr std::size_t L = kInterleavedPatients;

  struct Lane {
    explicit Lane(const SolverOptions& o) : stepper(o.atol, o.rtol) {}
    const PatientTask* task = nullptr;
    SoleModuleSystem system{};
    Dopri5Dense<N> stepper;
    std::array<double, N> x{}, tmp{};
    std::vector<double> points;
    std::size_t k = 0, next_out = 0;
    double t1 = 0.0, eps = 0.0;
    bool begun = false;  ///< begin_step done, trials of this step under way
    int trials = 0;
  };

  /// Runs part of a lane's work as integrate_patient's try block does: an InputError aborts the
  /// batch; any other exception fails this patient only. Returns whether the lane still has a
  /// step to take (part's own answer, false when it failed).
  template <class Part>
  static bool guarded(Lane& lane, Part part) {
    try {
      return part();
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      lane.task->status->ok = false;
      lane.task->status->reason = e.what();
      return false;
    }
  }

  /// Sets a lane up for its new task; false when the patient is done without a step to take.
  bool start(Lane& lane) {
    const PatientTask& task = *lane.task;
    Patient& patient = *task.patient;
    if (task.initial_state) std::copy(task.initial_state, task.initial_state + N, lane.x.begin());
    else patient.initial_state(lane.x.data());
    lane.points = patient.regimen().breakpoints(t_start_, times_.back());
    lane.points.push_back(t_start_);
    lane.points.push_back(times_.back());
    std::sort(lane.points.begin(), lane.points.end());
    lane.points.erase(std::unique(lane.points.begin(), lane.points.end()), lane.points.end());
    lane.k = 0;
    lane.next_out = 0;
    lane.begun = false;
    return enter_interval(lane);
  }

  /// From breakpoint points[k]: boluses, outputs at or before it, then the stepper started towards
  /// points[k + 1]; intervals too short to step are passed. False when the patient is done.
  bool enter_interval(Lane& lane) {
    Patient& patient = *lane.task->patient;
    const OutputSink& sink = *lane.task->sink;
    for (;; ++lane.k) {
      const double t0 = lane.points[lane.k];
      patient.apply_boluses(t0, lane.x.data());
      while (lane.next_out < times_.size() && times_[lane.next_out] <= t0) {
        sink(lane.next_out, times_[lane.next_out], lane.x.data());
        ++lane.next_out;
      }
      if (lane.k + 1 == lane.points.size()) return false;
      lane.t1 = lane.points[lane.k + 1];
      patient.set_rates_from(t0);
      lane.stepper.initialize(lane.x, t0, std::min(options_.first_step_h, lane.t1 - t0));
      lane.eps = 1e-12 * std::max(1.0, std::abs(lane.t1));
      if (lane.t1 - lane.stepper.current_time() > lane.eps) return true;
      lane.x = lane.stepper.current_state();
    }
  }

  /// Lands the next step on the breakpoint if it would cross it; evaluates f at a new start.
  bool begin(Lane& lane) {
    const double remaining = lane.t1 - lane.stepper.current_time();
    // Land exactly on the breakpoint: the next rate change must not be stepped across.
    if (lane.stepper.current_time_step() > remaining) lane.stepper.set_step(remaining);
    lane.stepper.begin_step(lane.system);
    lane.begun = true;
    lane.trials = 0;
    return true;
  }

  /// After one trial: the checks, outputs and breakpoint handling of integrate_patient's driver.
  /// False when the patient is done.
  bool after_trial(Lane& lane, bool accepted) {
    if (lane.trials++ >= 500) Dopri5Dense<N>::throw_too_many_trials();
    if (!accepted) return true;
    const auto span = lane.stepper.end_step();
    lane.begun = false;
    SolveStatus& status = *lane.task->status;
    if (++status.steps > options_.max_steps) {
      throw PatientFailure("max_steps (" + std::to_string(options_.max_steps) +
                           ") exceeded at t=" + format_number(span.second) + " h");
    }
    const auto& cur = lane.stepper.current_state();
    if (!all_finite(cur.data(), N))
      throw PatientFailure("non-finite state at t=" + format_number(span.second));
    const OutputSink& sink = *lane.task->sink;
    while (lane.next_out < times_.size() && times_[lane.next_out] < lane.t1 &&
           times_[lane.next_out] <= span.second) {
      lane.stepper.calc_state(times_[lane.next_out], lane.tmp);
      sink(lane.next_out, times_[lane.next_out], lane.tmp.data());
      ++lane.next_out;
    }
    if (lane.t1 - lane.stepper.current_time() > lane.eps) return true;
    lane.x = lane.stepper.current_state();
    ++lane.k;
    return enter_interval(lane);
  }

  double t_start_;
  const std::vector<double>& times_;
  const SolverOptions& options_;
  std::vector<Lane> lanes_;
};

void integrate_alone(const PatientTask& task, double t_start, const std::vector<double>& times,
                     const SolverOptions& options) {
  *task.status = integrate_patient(*task.patient, t_start, times, options, *task.sink, nullptr, nullptr,
                                   task.initial_state);
}

template <std::size_t N>
void integrate_sized(const Tasks& tasks, double t_start, const std::vector<double>& times,
                     const SolverOptions& options) {
  // Only one module's own right-hand side is interleaved: a linear one is cheap and inlined into
  // the single stepper, where it runs faster than interleaved (Otto 2021 PK, 8,000 patients: 122
  // against 131 ms), and a composition's (the whole patient's) is long enough to keep the CPU busy
  // on its own (sepsis_esketamine, 600 patients: 231 against 236-253 us each); those go one at a
  // time.
  Tasks interleaved;
  for (const PatientTask* t : tasks) {
    if (sole_nonlinear<N>(*t->patient)) interleaved.push_back(t);
    else integrate_alone(*t, t_start, times, options);
  }
  Lanes<N>(t_start, times, options).run(interleaved);
}

}  // namespace

void integrate_patients(const std::vector<PatientTask>& tasks, double t_start,
                        const std::vector<double>& times, const SolverOptions& options) {
  auto alone = [&](const PatientTask& t) { integrate_alone(t, t_start, times, options); };
  if (options.method != SolverOptions::Method::Dopri5 || times.empty() || tasks.size() < 2) {
    for (const auto& t : tasks) alone(t);
    return;
  }
  // By state size: those integrate_patient gives a fixed-size stepper go through the lanes.
  std::map<std::size_t, Tasks> by_size;
  for (const auto& t : tasks) {
    *t.status = SolveStatus{};
    by_size[t.patient->n_states()].push_back(&t);
  }
  for (const auto& [n, group] : by_size) {
    const bool fixed = dopri5_systems::with_fixed_size(
        n, [&](auto size) { integrate_sized<decltype(size)::value>(group, t_start, times, options); });
    if (!fixed)
      for (const PatientTask* t : group) alone(*t);
  }
}

}  // namespace septrial
