#include "septrial/linear_propagator.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>

#include "septrial/errors.hpp"

namespace septrial {

using Eigen::Index;
using Eigen::MatrixXd;

LinearPropagator::LinearPropagator(const MatrixXd& A) : A_(A) {
  for (Index j = 0; j < A_.rows(); ++j) (A_(j, j) < 0.0 ? T_ : S_).push_back(j);
  const Index nt = static_cast<Index>(T_.size()), ns = static_cast<Index>(S_.size());
  xt0_.setZero(nt), bt_.setZero(nt), xss_.setZero(nt), xt_.setZero(nt), tmp_.setZero(nt);
  xs0_.setZero(ns), bs_.setZero(ns), xs_.setZero(ns);
}

void LinearPropagator::decompose() {
  const Index nt = static_cast<Index>(T_.size()), ns = static_cast<Index>(S_.size());
  MatrixXd att(nt, nt), ast(ns, nt);
  for (Index i = 0; i < nt; ++i)
    for (Index j = 0; j < nt; ++j) att(i, j) = A_(T_[i], T_[j]);
  for (Index i = 0; i < ns; ++i)
    for (Index j = 0; j < nt; ++j) ast(i, j) = A_(S_[i], T_[j]);
  Eigen::FullPivLU<MatrixXd> lu(att);
  if (!lu.isInvertible()) {
    throw InputError("method",
                     "a closed-form solution needs every compartment to drain (a transient "
                     "block that is invertible)");
  }
  att_inv_ = lu.inverse();
  sink_from_integral_ = ast * att_inv_;
  Eigen::EigenSolver<MatrixXd> es(att);
  if (es.info() != Eigen::Success) throw InputError("method", "closed form: eigendecomposition failed");
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
  decomposed_ = true;
}

void LinearPropagator::start(const double* x0, const double* b) {
  empty_ = true;
  for (Index i = 0; i < static_cast<Index>(T_.size()); ++i) {
    xt0_[i] = x0[T_[i]], bt_[i] = b[T_[i]];
    empty_ = empty_ && xt0_[i] == 0.0 && bt_[i] == 0.0;
  }
  for (Index i = 0; i < static_cast<Index>(S_.size()); ++i) xs0_[i] = x0[S_[i]], bs_[i] = b[S_[i]];
  // No drug in the transient compartments and none coming in: they stay exactly zero.
  if (empty_) return;
  if (!decomposed_) decompose();
  xss_.noalias() = -att_inv_ * bt_;
  tmp_ = xt0_ - xss_;
  if (complex_) c_c_.noalias() = Vinv_c_ * tmp_.cast<std::complex<double>>();
  else c_.noalias() = Vinv_ * tmp_;
}

void LinearPropagator::at(double dt, double* x, bool absorbing) {
  if (empty_) {
    xt_.setZero();
  } else if (complex_) {
    e_c_ = (lambda_c_ * dt).array().exp() * c_c_.array();
    xt_ = xss_ + (V_c_ * e_c_).real();
  } else {
    e_ = (lambda_ * dt).array().exp() * c_.array();
    xt_ = xss_;
    xt_.noalias() += V_ * e_;
  }
  for (Index i = 0; i < static_cast<Index>(T_.size()); ++i) x[T_[i]] = xt_[i];
  if (S_.empty() || !absorbing) return;
  // absorbing states: x_S(dt) = x_S(0) + A_ST A_TT^-1 (x_T(dt) - x_T(0) - b_T dt) + b_S dt
  xs_ = xs0_ + bs_ * dt;
  if (!empty_) {
    tmp_ = xt_ - xt0_ - bt_ * dt;
    xs_.noalias() += sink_from_integral_ * tmp_;
  }
  for (Index i = 0; i < static_cast<Index>(S_.size()); ++i) x[S_[i]] = xs_[i];
}

void LinearPropagator::list(const std::vector<std::size_t>& states) {
  listed_.clear();
  listed_all_ = false;
  for (std::size_t s : states) {
    const auto it = std::find(T_.begin(), T_.end(), static_cast<Index>(s));
    if (it == T_.end()) listed_all_ = true;
    else listed_.push_back(it - T_.begin());
  }
}

void LinearPropagator::at_listed(double dt, double* x) {
  if (listed_all_ || complex_) {
    at(dt, x, true);
    return;
  }
  if (empty_) {
    for (Index p : listed_) x[T_[p]] = 0.0;
    return;
  }
  e_ = (lambda_ * dt).array().exp() * c_.array();
  for (Index p : listed_) x[T_[p]] = xss_[p] + V_.row(p).dot(e_);
}

}  // namespace septrial
