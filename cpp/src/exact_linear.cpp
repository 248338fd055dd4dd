#include "septrial/exact_linear.hpp"

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <complex>

#include "septrial/errors.hpp"

namespace septrial {

namespace {

using Eigen::Index;
using Eigen::MatrixXcd;
using Eigen::MatrixXd;
using Eigen::VectorXcd;
using Eigen::VectorXd;

/// dx_T/dt = A_TT x_T + b_T, dx_S/dt = A_ST x_T + b_S, solved from a state at t0. Buffers are
/// allocated once per patient; an output costs n_T exponentials and two small products.
class LinearPropagator {
 public:
  LinearPropagator(const MatrixXd& A, std::vector<Index> transient, std::vector<Index> absorbing)
      : T_(std::move(transient)), S_(std::move(absorbing)) {
    const Index nt = static_cast<Index>(T_.size()), ns = static_cast<Index>(S_.size());
    MatrixXd att(nt, nt), ast(ns, nt);
    for (Index i = 0; i < nt; ++i)
      for (Index j = 0; j < nt; ++j) att(i, j) = A(T_[i], T_[j]);
    for (Index i = 0; i < ns; ++i)
      for (Index j = 0; j < nt; ++j) ast(i, j) = A(S_[i], T_[j]);
    Eigen::FullPivLU<MatrixXd> lu(att);
    if (!lu.isInvertible()) {
      throw InputError("method",
                       "'exact' needs every compartment to drain (a transient block that is invertible)");
    }
    att_inv_ = lu.inverse();
    sink_from_integral_ = ast * att_inv_;
    Eigen::EigenSolver<MatrixXd> es(att);
    if (es.info() != Eigen::Success) throw InputError("method", "'exact': eigendecomposition failed");
    // Mammillary and chain models have real eigenvalues; keep complex arithmetic only if needed.
    complex_ = es.eigenvalues().imag().cwiseAbs().maxCoeff() > 0.0;
    if (complex_) {
      lambda_c_ = es.eigenvalues();
      V_c_ = es.eigenvectors();
      Vinv_c_ = V_c_.inverse();
      c_c_.resize(nt);
      e_c_.resize(nt);
    } else {
      lambda_ = es.eigenvalues().real();
      V_ = es.eigenvectors().real();
      Vinv_ = V_.inverse();
      c_.resize(nt);
      e_.resize(nt);
    }
    xt0_.resize(nt), bt_.resize(nt), xss_.resize(nt), xt_.resize(nt), tmp_.resize(nt);
    xs0_.resize(ns), bs_.resize(ns), xs_.resize(ns);
  }

  /// Prepares a segment starting at state x0 (full vector) with inputs b (full vector).
  void start(const VectorXd& x0, const VectorXd& b) {
    for (Index i = 0; i < static_cast<Index>(T_.size()); ++i) xt0_[i] = x0[T_[i]], bt_[i] = b[T_[i]];
    for (Index i = 0; i < static_cast<Index>(S_.size()); ++i) xs0_[i] = x0[S_[i]], bs_[i] = b[S_[i]];
    xss_.noalias() = -att_inv_ * bt_;
    tmp_ = xt0_ - xss_;
    if (complex_) c_c_.noalias() = Vinv_c_ * tmp_.cast<std::complex<double>>();
    else c_.noalias() = Vinv_ * tmp_;
  }

  /// Full state after dt of the current segment.
  void at(double dt, VectorXd& x) {
    if (complex_) {
      e_c_ = (lambda_c_ * dt).array().exp() * c_c_.array();
      xt_ = xss_ + (V_c_ * e_c_).real();
    } else {
      e_ = (lambda_ * dt).array().exp() * c_.array();
      xt_ = xss_;
      xt_.noalias() += V_ * e_;
    }
    for (Index i = 0; i < static_cast<Index>(T_.size()); ++i) x[T_[i]] = xt_[i];
    if (S_.empty()) return;
    // absorbing states: x_S(dt) = x_S(0) + A_ST A_TT^-1 (x_T(dt) - x_T(0) - b_T dt) + b_S dt
    tmp_ = xt_ - xt0_ - bt_ * dt;
    xs_ = xs0_ + bs_ * dt;
    xs_.noalias() += sink_from_integral_ * tmp_;
    for (Index i = 0; i < static_cast<Index>(S_.size()); ++i) x[S_[i]] = xs_[i];
  }

 private:
  std::vector<Index> T_, S_;
  bool complex_ = false;
  MatrixXd att_inv_, sink_from_integral_, V_, Vinv_;
  VectorXd lambda_, c_, e_;
  MatrixXcd V_c_, Vinv_c_;
  VectorXcd lambda_c_, c_c_, e_c_;
  VectorXd xt0_, bt_, xss_, xt_, tmp_, xs0_, bs_, xs_;
};

}  // namespace

SolveStatus integrate_linear_exactly(Patient& patient, double t_start, const std::vector<double>& times,
                                     const OutputSink& sink, const double* initial_state) {
  SolveStatus status;
  if (times.empty()) return status;
  const Index n = static_cast<Index>(patient.n_states());
  MatrixXd A(n, n);  // row-major fill below, so transpose on read
  VectorXd b(n), x(n), out(n);
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
  std::vector<Index> transient, absorbing;
  for (Index j = 0; j < n; ++j) (A(j, j) < 0.0 ? transient : absorbing).push_back(j);
  LinearPropagator propagate(A, transient, absorbing);

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
    for (Index i = 0; i < n; ++i) b[i] = b_raw[static_cast<std::size_t>(i)];
    propagate.start(x, b);
    while (next < times.size() && times[next] < t1) {
      propagate.at(times[next] - t0, out);
      sink(next, times[next], out.data());
      ++next;
    }
    propagate.at(t1 - t0, x);
    ++status.steps;
  }
  return status;
}

}  // namespace septrial
