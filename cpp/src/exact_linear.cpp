#include "septrial/exact_linear.hpp"

#include <Eigen/Dense>
#include <algorithm>

#include "septrial/errors.hpp"
#include "septrial/linear_propagator.hpp"

namespace septrial {

using Eigen::Index;
using Eigen::MatrixXd;

SolveStatus integrate_linear_exactly(Patient& patient, double t_start, const std::vector<double>& times,
                                     const OutputSink& sink, const double* initial_state) {
  SolveStatus status;
  if (times.empty()) return status;
  const Index n = static_cast<Index>(patient.n_states());
  MatrixXd A(n, n);  // row-major fill below, so transpose on read
  std::vector<double> x(static_cast<std::size_t>(n)), out(static_cast<std::size_t>(n));
  std::vector<double> a_row(static_cast<std::size_t>(n * n)), b_raw(static_cast<std::size_t>(n));
  patient.set_rates_from(t_start);
  if (!patient.linear_system(a_row.data(), b_raw.data())) {
    throw InputError("method",
                     "'exact' needs a linear model (a PK model without inflammation coupling or "
                     "time-varying clearance); use 'dopri5' or 'rosenbrock4' for model '" +
                         patient.model().name() + "'");
  }
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) A(i, j) = a_row[static_cast<std::size_t>(i * n + j)];
  LinearPropagator propagate(A);

  if (initial_state) std::copy(initial_state, initial_state + n, x.data());
  else patient.initial_state(x.data());
  std::vector<double> points = patient.regimen().breakpoints(t_start, times.back());
  points.push_back(t_start);
  points.push_back(times.back());
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());

  std::size_t next = 0;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const double t0 = points[k];
    patient.apply_boluses(t0, x.data());
    while (next < times.size() && times[next] <= t0) sink(next, times[next], x.data()), ++next;
    if (k + 1 == points.size()) break;
    const double t1 = points[k + 1];
    patient.set_rates_from(t0);
    patient.linear_system(a_row.data(), b_raw.data());
    propagate.start(x.data(), b_raw.data());
    while (next < times.size() && times[next] < t1) {
      propagate.at(times[next] - t0, out.data());
      sink(next, times[next], out.data());
      ++next;
    }
    propagate.at(t1 - t0, x.data());
    ++status.steps;
  }
  return status;
}

}  // namespace septrial
