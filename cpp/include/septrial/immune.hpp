// The Reynolds 2006 inflammation core (pathogen P, activated phagocytes N*, damage D, slow
// anti-inflammatory mediators CA), shared by the reynolds2006 model and the benchmarks (docs/model.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "septrial/module.hpp"

namespace septrial {

/// Reynolds et al. 2006 (J Theor Biol 242:220), parameters as in its table (BIOMD0000000714).
struct ReynoldsParams {
  double P0, k_pg, p_inf, k_pm, s_m, mu_m, k_mp, k_pn, k_np, k_nn, k_nd, s_nr, mu_nr, mu_n, k_dn, x_dn, mu_d,
      c_inf, s_c, k_cn, k_cnd, mu_c, CA0;
  static ReynoldsParams from(const ModuleSpec& spec, const std::vector<double>& p);
};

/// Core derivatives; `activation` multiplies phagocyte activation (1 - drug inhibition).
void reynolds_rhs(const ReynoldsParams& r, const double* x, double* dx, double activation);
/// f(V) = V / (1 + (CA/c_inf)^2): anti-inflammatory damping.
inline double reynolds_f(const ReynoldsParams& r, double v, double ca) {
  const double q = ca / r.c_inf;
  return v / (1.0 + q * q);
}

/// The Reynolds parameter declarations (names and values of the paper's table).
std::vector<ParameterInfo> reynolds_parameters();
/// The [A] between-patient variability on the core (docs/model.md): P0, k_pg, s_nr, k_cn.
void add_reynolds_random_effects(ModuleSpec& spec);

}  // namespace septrial
