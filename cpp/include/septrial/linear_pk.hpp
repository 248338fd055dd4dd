// Linear compartmental PK as data: named amount states joined by first-order flows. Every PK model
// of the library (mammillary parent, metabolite chains, transit compartments) is built with it.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "septrial/module.hpp"
#include "septrial/rate_columns.hpp"

namespace septrial {

class LinearPk : public Module {
 public:
  /// What scales a flow at run time.
  enum class Modulation {
    None,
    Inflammation,  ///< x (1 - E_il6 * IL6 / (IL6 + IL6_50)): inflammation lowers hepatic clearance
    TimeRise,      ///< x (1 + rise_per_h * max(t - t_first_dose, 0)) (Flint 2017 norketamine)
  };
  struct Output {
    std::size_t state;
    double scale;  ///< observable = scale * amount, e.g. 1000 / V for ng/mL from mg
    bool publish;
    std::size_t slot;  ///< bus slot when published
  };

  /// `ctx` carries the bus slots of the module's declared signals (ModuleSpec inputs/outputs).
  LinearPk(std::size_t n_states, int dose_state, const ModuleContext& ctx = {})
      : n_(n_states),
        dose_state_(dose_state),
        input_slots_(ctx.input_slots),
        output_slots_(ctx.output_slots) {}

  /// First-order transfer of k (1/h) * amount(from) into `to`.
  void flow(std::size_t from, std::size_t to, double k, Modulation m = Modulation::None);
  void output(std::size_t state, double scale) { outputs_.push_back({state, scale, false, 0}); }
  /// An observable also published as the module's output signal number `output` (ModuleSpec).
  void output_signal(std::size_t state, double scale, std::size_t output) {
    outputs_.push_back({state, scale, true, output_slots_.at(output)});
  }
  /// Clearance falls with IL-6 read from the module's input signal number `input`.
  void inflammation_coupling(double e_max, double il6_50, std::size_t input) {
    e_il6_ = e_max;
    il6_50_ = il6_50;
    il6_slot_ = input_slots_.at(input);
  }
  void time_rise(double per_h, double since_h) {
    rise_per_h_ = per_h;
    rise_since_h_ = since_h;
  }
  void set_structural(std::vector<std::pair<std::string, double>> s) { structural_ = std::move(s); }

  std::size_t n_states() const override { return n_; }
  void initial_state(double* x) const override;
  void publish(double t, const double* x, SignalBus& bus) const override;
  std::vector<std::size_t> published_states() const override;
  void rhs(double t, const double* x, double* dx, const SignalBus& bus, double input_rate) const override;
  void observe(double t, const double* x, const SignalBus& bus, double* out) const override;
  int dose_state() const override { return dose_state_; }
  bool linear_system(const SignalBus& bus, double* A, std::size_t ld) const override;
  std::vector<std::pair<std::string, double>> structural() const override { return structural_; }

 private:
  struct Flow {
    std::size_t from, to;
    double k;
    Modulation modulation;
  };
  std::size_t n_;
  int dose_state_;
  std::vector<Flow> flows_;
  /// The flows as dense rate matrices, one per Modulation (dx = sum_m factor_m M_m x).
  std::vector<double> rates_[3];
  /// The same matrices by nonzero columns (rate_columns.hpp): a PK rate matrix is mostly zeros
  /// (Otto 2021: 15 of 72 entries), and the column form gives the dense product's bits for a
  /// finite state. Built at the first evaluation after the last flow() (the module belongs to one
  /// patient, so to one thread).
  mutable RateColumns columns_;
  std::vector<Output> outputs_;
  std::vector<std::size_t> input_slots_, output_slots_;
  double e_il6_ = 0.0, il6_50_ = 1.0;
  std::size_t il6_slot_ = 0;
  double rise_per_h_ = 0.0, rise_since_h_ = 0.0;
  std::vector<std::pair<std::string, double>> structural_;
};

/// Parameters shared by the esketamine models: the ICU clearance multiplier (docs/model.md) and the
/// optional inflammation -> clearance coupling, plus their random effect; also declares the
/// module's signals: output esketamine_ng_ml, input il6_pg_ml (0 when no immune module).
void add_icu_clearance_parameters(ModuleSpec& spec);
/// Reads them back from a module's local parameter vector: {multiplier, E_il6, IL6_50}.
struct IcuClearance {
  double multiplier, e_il6, il6_50;
};
IcuClearance icu_clearance(const ModuleSpec& spec, const std::vector<double>& p);

/// Value of a named parameter in a module's local parameter vector.
double param(const ModuleSpec& spec, const std::vector<double>& p, const std::string& name);

/// Builds a mammillary model (1-3 compartments) with states A1..An and A_elim; V in L, CL/Q in L/h.
/// Returns the central-compartment index 0; the sink is the last state.
void mammillary(LinearPk& pk, const std::vector<double>& volumes, double cl,
                const std::vector<double>& intercompartmental, LinearPk::Modulation elimination);

}  // namespace septrial
