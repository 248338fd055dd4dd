// Shared pieces of the propofol models (docs/model.md): every one is a mammillary model dosed into
// the central compartment, observed as propofol_mg_l = A1/V1 (mg/L = ug/mL) and published on
// the output signal propofol_mg_l so that composed models can read it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "septrial/linear_pk.hpp"

namespace septrial {
namespace propofol {

/// Drug, states (A1..An, A_elim) and the one observable of an n-compartment propofol model.
inline void set_layout(ModuleSpec& spec, std::size_t n_cmt) {
  spec.drug = "propofol";
  spec.states.clear();
  for (std::size_t i = 1; i <= n_cmt; ++i) spec.states.push_back("A" + std::to_string(i));
  spec.states.push_back("A_elim");
  spec.observables = {{"propofol_mg_l", "mg/L", "propofol plasma concentration A1/V1 (mg/L = ug/mL)"}};
  spec.outputs = {{"propofol_mg_l", "mg/L", "propofol plasma concentration"}};
}

/// Mammillary propofol model from individual V (L), CL and intercompartmental Q (L/h); also records
/// the structural parameters V1..Vn, CL, Q2..Qn.
inline std::unique_ptr<LinearPk> make_pk(const std::vector<double>& volumes, double cl,
                                         const std::vector<double>& intercompartmental,
                                         const ModuleContext& ctx) {
  auto pk = std::make_unique<LinearPk>(volumes.size() + 1, 0, ctx);
  mammillary(*pk, volumes, cl, intercompartmental, LinearPk::Modulation::None);
  pk->output_signal(0, 1.0 / volumes[0], 0);
  std::vector<std::pair<std::string, double>> s;
  for (std::size_t i = 0; i < volumes.size(); ++i) s.emplace_back("V" + std::to_string(i + 1), volumes[i]);
  s.emplace_back("CL", cl);
  for (std::size_t i = 0; i < intercompartmental.size(); ++i)
    s.emplace_back("Q" + std::to_string(i + 2), intercompartmental[i]);
  pk->set_structural(std::move(s));
  return pk;
}

}  // namespace propofol
}  // namespace septrial
