// Closed-form propagation of a linear time-invariant block dx/dt = A x + b between dose changes,
// shared by the exact solver (whole-linear models) and the hybrid solver (linear PK feeding the
// nonlinear immune model).
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <vector>

namespace septrial {

/// dx_T/dt = A_TT x_T + b_T, dx_S/dt = A_ST x_T + b_S, solved from a state at the start of a
/// segment. Transient states T (negative diagonal) go through the eigendecomposition of A_TT;
/// absorbing states S (no outflow, e.g. the eliminated amount) accumulate their inflow in closed
/// form. The decomposition is computed on the first segment that carries drug (a block that stays
/// empty costs nothing); buffers are allocated once, so an evaluation never allocates.
class LinearPropagator {
 public:
  /// `A` is the block's matrix (dense, n x n); throws InputError("method", ...) when the transient
  /// block is singular.
  explicit LinearPropagator(const Eigen::MatrixXd& A);

  Eigen::Index size() const { return A_.rows(); }
  /// Prepares a segment starting at state x0 with inputs b (both of size()).
  void start(const double* x0, const double* b);
  /// State after dt of the current segment, written to x (size()).
  void at(double dt, double* x, bool absorbing = true);
  /// Only the listed states (block indices) from now on in at_listed(); for a right-hand side that
  /// reads one concentration of the block, this saves the rest of the matrix-vector product.
  void list(const std::vector<std::size_t>& states);
  void at_listed(double dt, double* x);

 private:
  void decompose();

  Eigen::MatrixXd A_;
  std::vector<Eigen::Index> T_, S_;
  bool decomposed_ = false, complex_ = false, empty_ = false;
  Eigen::MatrixXd att_inv_, sink_from_integral_, V_, Vinv_;
  Eigen::VectorXd lambda_, c_, e_;
  Eigen::MatrixXcd V_c_, Vinv_c_;
  Eigen::VectorXcd lambda_c_, c_c_, e_c_;
  std::vector<Eigen::Index> listed_;  ///< positions in T_ of the listed states
  bool listed_all_ = true;            ///< a listed state is absorbing: at_listed() is at()
  Eigen::VectorXd xt0_, bt_, xss_, xt_, tmp_, xs0_, bs_, xs_;
};

}  // namespace septrial
