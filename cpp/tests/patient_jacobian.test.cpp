// The Jacobian of a composition (Patient::jacobian): each module's block analytic, the coupling
// columns by finite differences. Checked against central differences of the whole right-hand side
// of the default patient, at a state where the drug acts and the infection is active.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "septrial/model.hpp"
#include "septrial/patient.hpp"

namespace septrial {
namespace {

TEST(PatientJacobian, CompositionMatchesCentralDifferences) {
  auto model = find_model("sepsis_esketamine");
  auto p = model->default_parameters();
  p[model->parameter_index("k_pg")] = 0.6;
  p[model->parameter_index("I_max")] = 0.7;
  p[model->parameter_index("IC50")] = 60.0;
  p[model->parameter_index("E_P")] = 0.3;
  p[model->parameter_index("E_D")] = 0.4;
  Patient patient(model, p, Covariates{}, Regimen{});
  const std::size_t n = patient.n_states();
  std::vector<double> x(n);
  patient.initial_state(x.data());
  // Drug in every PK compartment, an active infection and immune response.
  for (std::size_t c = 0; c < patient.n_components(); ++c) {
    const std::size_t o = patient.component_offset(c);
    for (std::size_t j = 0; j < patient.component_states(c); ++j)
      x[o + j] += 5.0 + 0.5 * static_cast<double>(j);
  }
  const double t = 30.0;
  std::vector<double> J(n * n), dfdt(n);
  std::size_t evals = 99;
  ASSERT_TRUE(patient.jacobian(t, x.data(), J.data(), dfdt.data(), &evals));
  EXPECT_LT(evals, n / 2);  // only the coupling columns are differenced
  RecordProperty("rhs_evals", static_cast<int>(evals));

  std::vector<double> xp = x, xm = x, fp(n), fm(n);
  double worst = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    const double h = 1e-5 * std::max(std::abs(x[j]), 1.0);
    xp[j] = x[j] + h;
    xm[j] = x[j] - h;
    patient.rhs(t, xp.data(), fp.data());
    patient.rhs(t, xm.data(), fm.data());
    xp[j] = xm[j] = x[j];
    for (std::size_t i = 0; i < n; ++i) {
      const double fd = (fp[i] - fm[i]) / (2.0 * h);
      const double err = std::abs(J[i * n + j] - fd) / (1.0 + std::abs(fd));
      worst = std::max(worst, err);
      EXPECT_NEAR(J[i * n + j], fd, 1e-4 * (1.0 + std::abs(fd))) << "row " << i << ", column " << j;
    }
  }
  RecordProperty("worst_relative_error", testing::PrintToString(worst));
  // The drug couples the PK into the immune states: some off-block entry is not zero.
  bool coupled = false;
  const std::size_t pk = patient.component_offset(0), pk_n = patient.component_states(0);
  for (std::size_t i = pk + pk_n; i < n && !coupled; ++i)
    for (std::size_t j = pk; j < pk + pk_n; ++j) coupled = coupled || J[i * n + j] != 0.0;
  EXPECT_TRUE(coupled);
}

}  // namespace
}  // namespace septrial
