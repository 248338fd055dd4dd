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

const bool registered = register_model("esketamine_propofol", esketamine_propofol);

}  // namespace
}  // namespace septrial
