// Stand-alone Reynolds 2006 inflammation model: states and observables P, N, D, CA, drug off.
#include <algorithm>
#include <memory>

#include "septrial/immune.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

class Reynolds : public Module {
 public:
  explicit Reynolds(const ReynoldsParams& r) : r_(r) {}
  std::size_t n_states() const override { return 4; }
  void initial_state(double* x) const override {
    x[0] = r_.P0;
    x[1] = 0.0;
    x[2] = 0.0;
    x[3] = r_.CA0;
  }
  void rhs(double, const double* x, double* dx, const SignalBus&, double) const override {
    reynolds_rhs(r_, x, dx, 1.0);
  }
  void observe(double, const double* x, const SignalBus&, double* out) const override {
    std::copy(x, x + 4, out);
  }

 private:
  ReynoldsParams r_;
};

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "reynolds2006";
  spec->description = "Reynolds 2006 acute inflammation core (P, N*, D, CA), arbitrary units, hours";
  spec->parameters = reynolds_parameters();
  spec->states = {"P", "N", "D", "CA"};
  spec->observables = {{"P", "1e6/cc", "pathogen"},
                       {"N", "N*-units", "activated phagocytes"},
                       {"D", "D-units", "tissue damage"},
                       {"CA", "CA-units", "slow anti-inflammatory mediators"}};
  spec->make = [read = ReynoldsParams::Reader(*spec)](const std::vector<double>& p, const Covariates&,
                                                      const ModuleContext&) {
    return std::make_unique<Reynolds>(read(p));
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
