// Generic 1-, 2- and 3-compartment IV models without covariates: the reference for closed-form
// tests (Abuhelwa 2015, J Pharmacol Toxicol Methods 73:42, doi 10.1016/j.vascn.2015.03.004) and a base for
// users' own drugs. Drug "drug"; concentration in mg/L.
#include <memory>

#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

std::shared_ptr<const ModuleSpec> make_spec(int n_cmt) {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "linear_" + std::to_string(n_cmt) + "cmt";
  spec->drug = "drug";
  spec->description =
      std::to_string(n_cmt) + "-compartment linear IV model (mammillary, first-order elimination)";
  spec->parameters = {positive("V1", 10.0, "L", "central volume"), positive("CL", 5.0, "L/h", "clearance")};
  if (n_cmt >= 2) {
    spec->parameters.push_back(positive("V2", 20.0, "L", "first peripheral volume"));
    spec->parameters.push_back(nonnegative("Q2", 10.0, "L/h", "intercompartmental clearance to V2"));
  }
  if (n_cmt >= 3) {
    spec->parameters.push_back(positive("V3", 50.0, "L", "second peripheral volume"));
    spec->parameters.push_back(nonnegative("Q3", 2.0, "L/h", "intercompartmental clearance to V3"));
  }
  for (int i = 1; i <= n_cmt; ++i) spec->states.push_back("A" + std::to_string(i));
  spec->states.push_back("A_elim");
  spec->observables = {{"drug_mg_l", "mg/L", "central concentration A1/V1"}};
  spec->make = [n_cmt, s = spec.get()](const std::vector<double>& p, const Covariates&,
                                       const ModuleContext&) {
    std::vector<double> v{param(*s, p, "V1")}, q;
    if (n_cmt >= 2) {
      v.push_back(param(*s, p, "V2"));
      q.push_back(param(*s, p, "Q2"));
    }
    if (n_cmt >= 3) {
      v.push_back(param(*s, p, "V3"));
      q.push_back(param(*s, p, "Q3"));
    }
    auto pk = std::make_unique<LinearPk>(v.size() + 1, 0);
    mammillary(*pk, v, param(*s, p, "CL"), q, LinearPk::Modulation::None);
    pk->output(0, 1.0 / v[0]);
    return pk;
  };
  return spec;
}

const bool registered =
    register_module(make_spec(1)) && register_module(make_spec(2)) && register_module(make_spec(3));

}  // namespace
}  // namespace septrial
