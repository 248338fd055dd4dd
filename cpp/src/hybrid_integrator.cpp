#include "septrial/hybrid_integrator.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "septrial/errors.hpp"
#include "septrial/exact_linear.hpp"
#include "septrial/linear_propagator.hpp"

namespace septrial {

namespace odeint = boost::numeric::odeint;

namespace {

struct HybridFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One patient split into closed-form linear components and integrated nonlinear states. All
/// buffers are sized once, so the right-hand side never allocates.
class Split {
 public:
  explicit Split(Patient& p) : patient_(p), x_(p.n_states(), 0.0), dx_(p.n_states(), 0.0) {
    for (std::size_t c = 0; c < p.n_components(); ++c) {
      const std::size_t m = p.component_states(c), o = p.component_offset(c);
      std::vector<double> a(m * m, 0.0);
      if (p.component_linear(c, a.data(), m)) {
        linear_.push_back(
            {c, o, m,
             std::make_unique<LinearPropagator>(Eigen::Map<Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(
                 a.data(), static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(m))),
             std::vector<double>(m)});
        linear_.back().propagator->list(p.component_published(c));
      } else {
        nonlinear_.push_back(c);
        for (std::size_t i = 0; i < m; ++i) states_.push_back(o + i);
      }
    }
  }

  bool any_linear() const { return !linear_.empty(); }
  std::size_t n() const { return states_.size(); }
  /// Position of full-state index s among the integrated states, or npos.
  std::size_t position(std::size_t s) const {
    const auto it = std::find(states_.begin(), states_.end(), s);
    return it == states_.end() ? npos : static_cast<std::size_t>(it - states_.begin());
  }
  void gather(const double* full, double* y) const {
    for (std::size_t i = 0; i < states_.size(); ++i) y[i] = full[states_[i]];
  }

  /// Starts a segment at t0 from the full state x (rates already set on the patient).
  void start(double t0, const double* x) {
    t0_ = t0;
    for (auto& l : linear_) {
      std::fill(l.b.begin(), l.b.end(), 0.0);
      patient_.component_input(l.component, l.b.data());
      l.propagator->start(x + l.offset, l.b.data());
    }
  }
  /// Full state at t of the current segment from the integrated states y.
  void full(double t, const double* y, double* out) {
    for (auto& l : linear_) l.propagator->at(t - t0_, out + l.offset);
    for (std::size_t i = 0; i < states_.size(); ++i) out[states_[i]] = y[i];
  }
  /// Only the PK states that modules publish are evaluated (the immune model reads concentrations).
  void rhs(double t, const double* y, double* dy) {
    for (auto& l : linear_) l.propagator->at_listed(t - t0_, x_.data() + l.offset);
    for (std::size_t i = 0; i < states_.size(); ++i) x_[states_[i]] = y[i];
    patient_.rhs_of(t, x_.data(), dx_.data(), nonlinear_);
    for (std::size_t i = 0; i < states_.size(); ++i) dy[i] = dx_[states_[i]];
    ++evals;
  }

  std::size_t evals = 0;

 private:
  struct Linear {
    std::size_t component, offset, size;
    std::unique_ptr<LinearPropagator> propagator;
    std::vector<double> b;
  };
  Patient& patient_;
  std::vector<Linear> linear_;
  std::vector<std::size_t> nonlinear_, states_;
  std::vector<double> x_, dx_;
  double t0_ = 0.0;
};

struct SplitSystem {
  Split* split;
  void operator()(const std::vector<double>& y, std::vector<double>& dy, double t) const {
    split->rhs(t, y.data(), dy.data());
  }
};

bool all_finite(const std::vector<double>& y) {
  return std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); });
}

}  // namespace

SolveStatus integrate_hybrid(Patient& patient, double t_start, const std::vector<double>& times,
                             const SolverOptions& options, const OutputSink& sink, const Crossing* crossing,
                             double* crossing_time, const double* initial_state) {
  SolveStatus status;
  if (times.empty()) return status;
  Split split(patient);
  SolverOptions fallback = options;
  if (split.n() == 0 && !crossing)
    return integrate_linear_exactly(patient, t_start, times, sink, initial_state);
  if (!split.any_linear() || split.n() == 0) {
    fallback.method = SolverOptions::Method::Dopri5;
    return integrate_patient(patient, t_start, times, fallback, sink, crossing, crossing_time, initial_state);
  }
  const std::size_t cross = crossing ? split.position(crossing->state) : npos;
  if (crossing && cross == npos) {
    throw InputError("method", "'hybrid' locates events on states of nonlinear components only");
  }

  const std::size_t nf = patient.n_states();
  std::vector<double> x(nf), out(nf), y(split.n()), tmp(split.n());
  if (initial_state) std::copy(initial_state, initial_state + nf, x.begin());
  else patient.initial_state(x.data());
  const double t_end = times.back();
  std::vector<double> points = patient.regimen().breakpoints(t_start, t_end);
  points.push_back(t_start);
  points.push_back(t_end);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());

  auto stepper = odeint::make_dense_output(options.atol, options.rtol,
                                           odeint::runge_kutta_dopri5<std::vector<double>>());
  SplitSystem system{&split};
  std::size_t next_out = 0;
  bool crossed = false;
  if (crossing_time) *crossing_time = std::numeric_limits<double>::infinity();
  // The step size carries over a dose change (the integrated states are continuous there; the error
  // control shrinks it if the new forcing needs that).
  double dt = options.first_step_h;
  try {
    for (std::size_t k = 0; k < points.size(); ++k) {
      const double t0 = points[k];
      patient.apply_boluses(t0, x.data());
      while (next_out < times.size() && times[next_out] <= t0) {
        sink(next_out, times[next_out], x.data());
        ++next_out;
      }
      if (k + 1 == points.size()) break;
      const double t1 = points[k + 1];
      patient.set_rates_from(t0);
      split.start(t0, x.data());
      split.gather(x.data(), y.data());
      stepper.initialize(y, t0, std::min(dt, t1 - t0));
      const double eps = 1e-12 * std::max(1.0, std::abs(t1));
      bool landed = false;
      while (t1 - stepper.current_time() > eps) {
        const double remaining = t1 - stepper.current_time();
        if (stepper.current_time_step() > remaining) {
          // Land exactly on the breakpoint: the next rate change must not be stepped across.
          dt = stepper.current_time_step();
          landed = true;
          stepper.initialize(stepper.current_state(), stepper.current_time(), remaining);
        }
        const double before = crossing ? stepper.current_state()[cross] : 0.0;
        const auto span = stepper.do_step(system);
        if (++status.steps > options.max_steps) {
          throw HybridFailure("max_steps (" + std::to_string(options.max_steps) +
                              ") exceeded at t=" + format_number(span.second) + " h");
        }
        const auto& cur = stepper.current_state();
        if (!all_finite(cur)) throw HybridFailure("non-finite state at t=" + format_number(span.second));
        if (crossing && !crossed && before < crossing->threshold && cur[cross] >= crossing->threshold) {
          double lo = span.first, hi = span.second;
          for (int it = 0; it < 60 && hi - lo > 1e-10 * std::max(1.0, hi); ++it) {
            const double mid = 0.5 * (lo + hi);
            stepper.calc_state(mid, tmp);
            (tmp[cross] >= crossing->threshold ? hi : lo) = mid;
          }
          crossed = true;
          if (crossing_time) *crossing_time = hi;
        }
        while (next_out < times.size() && times[next_out] < t1 && times[next_out] <= span.second) {
          stepper.calc_state(times[next_out], tmp);
          split.full(times[next_out], tmp.data(), out.data());
          sink(next_out, times[next_out], out.data());
          ++next_out;
        }
      }
      if (!landed) dt = stepper.current_time_step();
      split.full(t1, stepper.current_state().data(), x.data());
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    status.ok = false;
    status.reason = e.what();
  }
  status.rhs_evals = split.evals;
  return status;
}

}  // namespace septrial
