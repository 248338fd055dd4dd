// The rate matrices of a linear compartmental model stored by their nonzero columns, for the
// right-hand side dx = sum_m factor_m (M_m x). Each product M_m x is accumulated column by column
// in ascending column order, which adds the same terms to each row sum in the same order as the
// row-by-row dense product; a skipped zero column adds +-0 to a sum that is never -0, so the result
// is bit-identical to the dense product for a finite state. Column form vectorises over the rows
// (a column update is a few packed multiply-adds) and is specialised for small state counts.
#pragma once

#include <cstddef>
#include <vector>

namespace septrial {

class RateColumns {
 public:
  /// From `n_mod` dense row-major n x n matrices (an empty one: no flows of that modulation).
  void build(std::size_t n, const std::vector<double>* rates, int n_mod);
  bool built() const { return kernel_ != nullptr; }
  /// dx[i] = sum over modulations m with flows of factor[m] * (M_m x)[i], for a finite x.
  void apply(const double* factor, const double* x, double* dx) const { kernel_(*this, factor, x, dx); }

 private:
  struct Block {
    int modulation;
    std::size_t begin, end;  ///< columns [begin, end) of col_ (and of k_, n values each)
  };
  using Kernel = void (*)(const RateColumns&, const double*, const double*, double*);
  template <std::size_t N>
  static void kernel(const RateColumns& c, const double* factor, const double* x, double* dx);
  static void kernel_any(const RateColumns& c, const double* factor, const double* x, double* dx);

  std::size_t n_ = 0;
  std::vector<Block> blocks_;
  std::vector<std::size_t> col_;  ///< state index of each stored column
  std::vector<double> k_;         ///< the stored columns, n values each
  Kernel kernel_ = nullptr;
};

}  // namespace septrial
