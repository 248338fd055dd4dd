// The Reynolds 2006 inflammation core (pathogen P, activated phagocytes N*, damage D, slow
// anti-inflammatory mediators CA), shared by the reynolds2006 model and the benchmarks (docs/model.md).
#pragma once

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

/// Core derivatives; `activation` multiplies phagocyte activation (1 - drug inhibition).
void reynolds_rhs(const ReynoldsParams& r, const double* x, double* dx, double activation);
/// 1 / (1 + (CA/c_inf)^2) = c_inf^2 / (c_inf^2 + CA^2), one division: the anti-inflammatory
/// damping f(V) = V * reynolds_damping(CA).
inline double reynolds_damping(const ReynoldsParams& r, double ca) {
  return r.c_inf_sq / (r.c_inf_sq + ca * ca);
}

/// The Reynolds parameter declarations (names and values of the paper's table).
std::vector<ParameterInfo> reynolds_parameters();
/// The [A] between-patient variability on the core (docs/model.md): P0, k_pg, s_nr, k_cn.
void add_reynolds_random_effects(ModuleSpec& spec);

}  // namespace septrial
