// The right-hand sides dopri5 integrates (the linear product, one sole module, or the whole
// patient) and the checks its drivers share: integrator.cpp (one patient) and
// batch_integrator.cpp (several patients interleaved on one thread). Internal to the engine.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <type_traits>

#include "septrial/linear_rhs.hpp"
#include "septrial/patient.hpp"

namespace septrial::dopri5_systems {

/// Thrown inside the stepping loop; turned into a failed status for this patient only.
struct PatientFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// dopri5's system: any contiguous state type (std::vector, or std::array for a fixed size).
struct VectorSystem {
  const Patient* patient;
  std::size_t* evals;
  template <class State>
  void operator()(const State& x, State& dx, double t) const {
    patient->rhs(t, x.data(), dx.data());
    ++*evals;
  }
};

/// dopri5's system when the model is one module reading no signal: the module's own right-hand
/// side, one call less per evaluation than through Patient::rhs (which does the same).
struct SoleModuleSystem {
  const Module* module;
  const SignalBus* bus;
  const double* rate;  ///< the patient's current dosing rate (Patient::set_rates_from)
  std::size_t* evals;
  template <class State>
  void operator()(const State& x, State& dx, double t) const {
    module->rhs(t, x.data(), dx.data(), *bus, *rate);
    ++*evals;
  }
};

/// After the dosing rates change (Patient::set_rates_from): only LinearRhs holds a copy of them.
template <class System>
void rates_changed(System&) {}
template <std::size_t N>
void rates_changed(LinearRhs<N>& system) {
  system.rates_changed();
}

inline bool all_finite(const double* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

/// Beyond this many states a dense product costs more than the modules' sparse ones.
inline constexpr std::size_t kMaxLinearRhsStates = 12;

/// The state sizes that get the fixed-size stepper Dopri5Dense<N> (the common ones: PK models,
/// the Reynolds core, the immune model, the full patient): calls f(std::integral_constant<N>) and
/// returns true when n is one of them.
template <class F>
bool with_fixed_size(std::size_t n, F&& f) {
  auto call = [&](auto size) {
    f(size);
    return true;
  };
  switch (n) {
    case 2:
      return call(std::integral_constant<std::size_t, 2>{});
    case 3:
      return call(std::integral_constant<std::size_t, 3>{});
    case 4:
      return call(std::integral_constant<std::size_t, 4>{});
    case 5:
      return call(std::integral_constant<std::size_t, 5>{});
    case 6:
      return call(std::integral_constant<std::size_t, 6>{});
    case 10:
      return call(std::integral_constant<std::size_t, 10>{});
    case 12:
      return call(std::integral_constant<std::size_t, 12>{});
    case 20:
      return call(std::integral_constant<std::size_t, 20>{});
    default:
      return false;
  }
}

}  // namespace septrial::dopri5_systems
