#include "septrial/integrator.hpp"

#include <algorithm>
#include <array>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "dopri5_systems.hpp"
#include "septrial/dopri5.hpp"
#include "septrial/errors.hpp"
#include "septrial/exact_linear.hpp"
#include "septrial/hybrid_integrator.hpp"
#include "septrial/linear_rhs.hpp"

namespace septrial {

namespace odeint = boost::numeric::odeint;
namespace ublas = boost::numeric::ublas;

void SolverOptions::validate() const {
  if (!(rtol > 0.0) || !std::isfinite(rtol))
    throw InputError("rtol", "must be > 0, got " + format_number(rtol));
  if (!(atol > 0.0) || !std::isfinite(atol))
    throw InputError("atol", "must be > 0, got " + format_number(atol));
  if (max_steps == 0) throw InputError("max_steps", "must be >= 1");
}

const std::vector<std::pair<std::string, SolverOptions::Method>>& method_names() {
  using M = SolverOptions::Method;
  static const std::vector<std::pair<std::string, M>> names{
      {"dopri5", M::Dopri5}, {"rosenbrock4", M::Rosenbrock4}, {"exact", M::Exact}, {"hybrid", M::Hybrid}};
  return names;
}

namespace {

using dopri5_systems::all_finite;
using dopri5_systems::kMaxLinearRhsStates;
using dopri5_systems::PatientFailure;
using dopri5_systems::rates_changed;
using dopri5_systems::SoleModuleSystem;
using dopri5_systems::VectorSystem;

/// Rosenbrock needs ublas state types and a Jacobian: the model's analytic one when it has one
/// (counted as one evaluation), else a forward finite difference into buffers allocated once per
/// patient.
struct StiffSystem {
  const Patient* patient;
  std::size_t* evals;
  void operator()(const ublas::vector<double>& x, ublas::vector<double>& dx, double t) const {
    patient->rhs(t, &x.data()[0], &dx.data()[0]);
    ++*evals;
  }
};
struct StiffJacobian {
  const Patient* patient;
  std::size_t* evals;
  mutable ublas::vector<double> xp, f0, f1;
  StiffJacobian(const Patient* p, std::size_t* e, std::size_t n)
      : patient(p), evals(e), xp(n), f0(n), f1(n) {}
  mutable int analytic = -1;  ///< unknown until the first call
  void operator()(const ublas::vector<double>& x, ublas::matrix<double>& J, double t,
                  ublas::vector<double>& dfdt) const {
    const std::size_t n = x.size();
    if (analytic != 0) {
      std::size_t used = 0;
      analytic = patient->jacobian(t, &x.data()[0], &J.data()[0], &dfdt.data()[0], &used) ? 1 : 0;
      if (analytic) {
        *evals += std::max<std::size_t>(used, 1);  // an analytic Jacobian counts as one evaluation
        return;
      }
    }
    patient->rhs(t, &x.data()[0], &f0.data()[0]);
    xp = x;
    for (std::size_t j = 0; j < n; ++j) {
      const double h = difference_step(x[j], 1e-3);
      xp[j] = x[j] + h;
      patient->rhs(t, &xp.data()[0], &f1.data()[0]);
      for (std::size_t i = 0; i < n; ++i) J(i, j) = (f1[i] - f0[i]) / h;
      xp[j] = x[j];
    }
    const double ht = difference_step(t, 1.0);
    patient->rhs(t + ht, &x.data()[0], &f1.data()[0]);
    for (std::size_t i = 0; i < n; ++i) dfdt[i] = (f1[i] - f0[i]) / ht;
    *evals += n + 2;
  }
};

/// Shortens the next trial step so that it ends on a breakpoint. odeint's steppers are restarted
/// there (re-evaluating the derivative); Dopri5Dense keeps its derivative, which is the same value.
template <class Stepper>
void land_on_breakpoint(Stepper& stepper, double remaining) {
  stepper.initialize(stepper.current_state(), stepper.current_time(), remaining);
}
template <std::size_t N>
void land_on_breakpoint(Dopri5Dense<N>& stepper, double remaining) {
  stepper.set_step(remaining);
}

/// Drives a dense-output stepper through the breakpoints. State is any vector type with data().
template <class Stepper, class System, class State>
void drive(Stepper& stepper, System system, State& x, Patient& patient, double t_start,
           const std::vector<double>& times, const SolverOptions& options, const OutputSink& sink,
           const Crossing* crossing, double* crossing_time, SolveStatus& status) {
  const std::size_t n = patient.n_states();
  const double t_end = times.back();
  std::vector<double> points = patient.regimen().breakpoints(t_start, t_end);
  points.push_back(t_start);
  points.push_back(t_end);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());

  State tmp = x;
  std::size_t next_out = 0;
  bool crossed = false;
  if (crossing_time) *crossing_time = std::numeric_limits<double>::infinity();
  auto data = [](State& s) { return &s[0]; };

  auto check_crossing = [&](double t0, double t1, double before, double after) {
    if (!crossing || crossed || !(before < crossing->threshold && after >= crossing->threshold)) return;
    double lo = t0, hi = t1;
    for (int it = 0; it < 60 && hi - lo > 1e-10 * std::max(1.0, hi); ++it) {
      const double mid = 0.5 * (lo + hi);
      stepper.calc_state(mid, tmp);
      (tmp[crossing->state] >= crossing->threshold ? hi : lo) = mid;
    }
    crossed = true;
    if (crossing_time) *crossing_time = hi;
  };

  for (std::size_t k = 0; k < points.size(); ++k) {
    const double t0 = points[k];
    patient.apply_boluses(t0, data(x));
    while (next_out < times.size() && times[next_out] <= t0) {
      sink(next_out, times[next_out], data(x));
      ++next_out;
    }
    if (k + 1 == points.size()) break;
    const double t1 = points[k + 1];
    patient.set_rates_from(t0);
    rates_changed(system);
    const double span = t1 - t0;
    stepper.initialize(x, t0, std::min(options.first_step_h, span));
    const double eps = 1e-12 * std::max(1.0, std::abs(t1));
    while (t1 - stepper.current_time() > eps) {
      const double remaining = t1 - stepper.current_time();
      if (stepper.current_time_step() > remaining) {
        // Land exactly on the breakpoint: the next rate change must not be stepped across.
        land_on_breakpoint(stepper, remaining);
      }
      const double before = crossing ? stepper.current_state()[crossing->state] : 0.0;
      const auto span_done = stepper.do_step(system);
      if (++status.steps > options.max_steps) {
        throw PatientFailure("max_steps (" + std::to_string(options.max_steps) +
                             ") exceeded at t=" + format_number(span_done.second) + " h");
      }
      const auto& cur = stepper.current_state();
      if (!all_finite(&cur[0], n))
        throw PatientFailure("non-finite state at t=" + format_number(span_done.second));
      check_crossing(span_done.first, span_done.second, before, cur[crossing ? crossing->state : 0]);
      while (next_out < times.size() && times[next_out] < t1 && times[next_out] <= span_done.second) {
        stepper.calc_state(times[next_out], tmp);
        sink(next_out, times[next_out], data(tmp));
        ++next_out;
      }
    }
    x = stepper.current_state();
  }
}

template <std::size_t N>
SolveStatus& dopri5_fixed(Patient& patient, double t_start, const std::vector<double>& times,
                          const SolverOptions& options, const OutputSink& sink, const Crossing* crossing,
                          double* crossing_time, const double* initial_state, SolveStatus& status) {
  std::array<double, N> x{};
  if (initial_state) std::copy(initial_state, initial_state + N, x.begin());
  else patient.initial_state(x.data());
  Dopri5Dense<N> stepper(options.atol, options.rtol);
  // A linear time-invariant model (PK on its own) gets its right-hand side as one fixed-size
  // dense product inlined into the stepper.
  if constexpr (N <= kMaxLinearRhsStates) {
    LinearRhs<N> linear;
    if (linear.bind(patient, &status.rhs_evals)) {
      drive(stepper, linear, x, patient, t_start, times, options, sink, crossing, crossing_time, status);
      return status;
    }
  }
  if (const Module* sole = patient.sole_module()) {
    drive(stepper, SoleModuleSystem{sole, &patient.bus(), &patient.sole_rate(), &status.rhs_evals}, x,
          patient, t_start, times, options, sink, crossing, crossing_time, status);
    return status;
  }
  drive(stepper, VectorSystem{&patient, &status.rhs_evals}, x, patient, t_start, times, options, sink,
        crossing, crossing_time, status);
  return status;
}

}  // namespace

SolveStatus integrate_patient(Patient& patient, double t_start, const std::vector<double>& times,
                              const SolverOptions& options, const OutputSink& sink, const Crossing* crossing,
                              double* crossing_time, const double* initial_state) {
  SolveStatus status;  // steps are counted even when the patient fails
  if (times.empty()) return status;
  if (options.method == SolverOptions::Method::Exact) {
    if (crossing) throw InputError("method", "'exact' cannot locate events; use 'rosenbrock4'");
    return integrate_linear_exactly(patient, t_start, times, sink, initial_state);
  }
  if (options.method == SolverOptions::Method::Hybrid) {
    return integrate_hybrid(patient, t_start, times, options, sink, crossing, crossing_time, initial_state);
  }
  const std::size_t n = patient.n_states();
  try {
    if (options.method == SolverOptions::Method::Dopri5) {
      // The common state sizes get a fixed-size state and the hand-written stepper (dopri5.hpp):
      // no heap allocation per patient, loops of known length (odeint's stages, Hairer's step-size
      // control: results agree with odeint's to the tolerance, not to the bit).
      const bool fixed = dopri5_systems::with_fixed_size(n, [&](auto size) {
        dopri5_fixed<decltype(size)::value>(patient, t_start, times, options, sink, crossing, crossing_time,
                                            initial_state, status);
      });
      if (fixed) return status;
      std::vector<double> x(n);
      if (initial_state) std::copy(initial_state, initial_state + n, x.begin());
      else patient.initial_state(x.data());
      auto stepper = odeint::make_dense_output(options.atol, options.rtol,
                                               odeint::runge_kutta_dopri5<std::vector<double>>());
      drive(stepper, VectorSystem{&patient, &status.rhs_evals}, x, patient, t_start, times, options, sink,
            crossing, crossing_time, status);
      return status;
    }
    ublas::vector<double> x(n);
    if (initial_state) std::copy(initial_state, initial_state + n, x.begin());
    else patient.initial_state(&x.data()[0]);
    auto stepper = odeint::make_dense_output(options.atol, options.rtol, odeint::rosenbrock4<double>());
    drive(stepper,
          std::make_pair(StiffSystem{&patient, &status.rhs_evals},
                         StiffJacobian(&patient, &status.rhs_evals, n)),
          x, patient, t_start, times, options, sink, crossing, crossing_time, status);
    return status;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    status.ok = false;
    status.reason = e.what();
    return status;
  }
}

}  // namespace septrial
