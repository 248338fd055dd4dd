// The Reynolds 2006 inflammation core (pathogen P, activated phagocytes N*, damage D, slow
// anti-inflammatory mediators CA), shared by the reynolds2006 model and the benchmarks (docs/model.md).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "septrial/module.hpp"

namespace septrial {

/// Reynolds et al. 2006 (J Theor Biol 242:220), parameters as in its table (BIOMD0000000714).
struct ReynoldsParams {
  double P0, k_pg, p_inf, k_pm, s_m, mu_m, k_mp, k_pn, k_np, k_nn, k_nd, s_nr, mu_nr, mu_n, k_dn, x_dn, mu_d,
      c_inf, s_c, k_cn, k_cnd, mu_c, CA0;
  /// Combinations of the above that the right-hand side uses, computed once per patient
  /// (Reader fills them): c_inf^2, 1/p_inf, k_pm s_m and x_dn^6.
  double c_inf_sq = 0.0, inv_p_inf = 0.0, k_pm_s_m = 0.0, x_dn_6 = 0.0;
  static ReynoldsParams from(const ModuleSpec& spec, const std::vector<double>& p);

  /// Reads the parameters from a module's parameter vector at positions looked up once per
  /// module (by name), not once per patient.
  class Reader {
   public:
    explicit Reader(const ModuleSpec& spec);
    ReynoldsParams operator()(const std::vector<double>& p) const;

   private:
    std::array<std::size_t, 23> at_{};
  };
};

/// 1 / (1 + (CA/c_inf)^2) = c_inf^2 / (c_inf^2 + CA^2), one division: the anti-inflammatory
/// damping f(V) = V * reynolds_damping(CA).
inline double reynolds_damping(const ReynoldsParams& r, double ca) {
  return r.c_inf_sq / (r.c_inf_sq + ca * ca);
}

/// Core derivatives; `activation` multiplies phagocyte activation (1 - drug inhibition). Inline,
/// so that the module's right-hand side is one call, not two (it runs ~600 times per patient).
inline void reynolds_rhs(const ReynoldsParams& r, const double* x, double* dx, double activation) {
  const double P = std::max(x[0], 0.0), N = std::max(x[1], 0.0), D = std::max(x[2], 0.0), CA = x[3];
  // The three damped signals f(V) = V / (1 + (CA/c_inf)^2) share one division.
  const double damping = reynolds_damping(r, CA);
  const double fN = N * damping;
  const double R = (r.k_nn * N + r.k_np * P + r.k_nd * D) * damping;
  // x^6 as products: the same Hill term without two pow() calls per evaluation.
  const double fN2 = fN * fN, fN6 = fN2 * fN2 * fN2;
  const double fs = fN6 / (r.x_dn_6 + fN6);
  const double fc = (N + r.k_cnd * D) * damping;
  dx[0] = r.k_pg * P * (1.0 - P * r.inv_p_inf) - r.k_pm_s_m * P / (r.mu_m + r.k_mp * P) - r.k_pn * fN * P;
  dx[1] = activation * r.s_nr * R / (r.mu_nr + R) - r.mu_n * N;
  dx[2] = r.k_dn * fs - r.mu_d * D;
  dx[3] = r.s_c + r.k_cn * fc / (1.0 + fc) - r.mu_c * CA;
}

/// The Reynolds parameter declarations (names and values of the paper's table).
std::vector<ParameterInfo> reynolds_parameters();
/// The [A] between-patient variability on the core (docs/model.md): P0, k_pg, s_nr, k_cn.
void add_reynolds_random_effects(ModuleSpec& spec);

}  // namespace septrial
