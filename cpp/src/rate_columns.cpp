#include "septrial/rate_columns.hpp"

#include <algorithm>
#include <array>

namespace septrial {

void RateColumns::build(std::size_t n, const std::vector<double>* rates, int n_mod) {
  n_ = n;
  blocks_.clear();
  col_.clear();
  k_.clear();
  for (int m = 0; m < n_mod; ++m) {
    if (rates[m].empty()) continue;
    const std::size_t begin = col_.size();
    for (std::size_t j = 0; j < n; ++j) {
      bool any = false;
      for (std::size_t i = 0; i < n; ++i) any = any || rates[m][i * n + j] != 0.0;
      if (!any) continue;
      col_.push_back(j);
      for (std::size_t i = 0; i < n; ++i) k_.push_back(rates[m][i * n + j]);
    }
    if (col_.size() > begin) blocks_.push_back({m, begin, col_.size()});
  }
  switch (n) {
    case 1:
      kernel_ = &kernel<1>;
      break;
    case 2:
      kernel_ = &kernel<2>;
      break;
    case 3:
      kernel_ = &kernel<3>;
      break;
    case 4:
      kernel_ = &kernel<4>;
      break;
    case 5:
      kernel_ = &kernel<5>;
      break;
    case 6:
      kernel_ = &kernel<6>;
      break;
    case 7:
      kernel_ = &kernel<7>;
      break;
    case 8:
      kernel_ = &kernel<8>;
      break;
    default:
      kernel_ = &kernel_any;
      break;
  }
}

template <std::size_t N>
void RateColumns::kernel(const RateColumns& c, const double* factor, const double* x, double* dx) {
  // Fixed N: the row loops unroll into packed multiply-adds and the sums stay in registers.
  std::array<double, N> out{};  // +0: dx starts at zero as in the dense product
  for (const Block& b : c.blocks_) {
    std::array<double, N> sum{};
    const double* k = c.k_.data() + b.begin * N;
    for (std::size_t e = b.begin; e < b.end; ++e, k += N) {
      const double xj = x[c.col_[e]];
      for (std::size_t i = 0; i < N; ++i) sum[i] += k[i] * xj;
    }
    const double f = factor[b.modulation];
    for (std::size_t i = 0; i < N; ++i) out[i] += f * sum[i];
  }
  for (std::size_t i = 0; i < N; ++i) dx[i] = out[i];
}

void RateColumns::kernel_any(const RateColumns& c, const double* factor, const double* x, double* dx) {
  const std::size_t n = c.n_;
  std::vector<double> sum(n);  // beyond 8 states only (no library model): allocation is fine
  for (std::size_t i = 0; i < n; ++i) dx[i] = 0.0;
  for (const Block& b : c.blocks_) {
    std::fill(sum.begin(), sum.end(), 0.0);
    const double* k = c.k_.data() + b.begin * n;
    for (std::size_t e = b.begin; e < b.end; ++e, k += n) {
      const double xj = x[c.col_[e]];
      for (std::size_t i = 0; i < n; ++i) sum[i] += k[i] * xj;
    }
    const double f = factor[b.modulation];
    for (std::size_t i = 0; i < n; ++i) dx[i] += f * sum[i];
  }
}

}  // namespace septrial
