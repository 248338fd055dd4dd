// Composed models: library modules joined through named signals (see signals.hpp).
#include <memory>

#include "septrial/model.hpp"

namespace septrial {
namespace {

std::shared_ptr<const ModelSpec> esketamine_propofol() {
  return std::make_shared<const ModelSpec>(
      "esketamine_propofol", "Esketamine (Otto 2021) and propofol (Eleveld 2018) PK in one patient",
      std::vector<Component>{{"esketamine", find_module("esketamine_otto2021")},
                             {"propofol", find_module("propofol_eleveld2018")}});
}

/// The composed septic patient (docs/model.md): esketamine PK -> plasma concentration -> immune
/// inhibition; propofol PK (its immune effect off by default); IL-6 -> esketamine clearance
/// (coupling off by default). The immune module keeps its own parameter names (P0, k_pg, ...).
std::shared_ptr<const ModelSpec> sepsis_esketamine() {
  return std::make_shared<const ModelSpec>(
      "sepsis_esketamine", "Septic ICU patient: esketamine + propofol PK joined to the immune model",
      std::vector<Component>{{"esketamine", find_module("esketamine_otto2021")},
                             {"propofol", find_module("propofol_eleveld2018")},
                             {"", find_module("drug_effect_emax")},
                             {"", find_module("sepsis_immune")},
                             {"", find_module("hla_dr_percent")}});
}

const bool registered = register_model("esketamine_propofol", esketamine_propofol) &&
                        register_model("sepsis_esketamine", sepsis_esketamine);

}  // namespace
}  // namespace septrial
