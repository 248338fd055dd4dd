// Named signals through which composed modules talk (e.g. esketamine concentration -> immune
// inhibition). Signals are open: a module declares the signals it reads (inputs) and writes
// (outputs) by name and unit; the composition joins them (model.cpp) and gives each one a slot on
// the bus, so the right-hand side reads and writes plain array elements.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace septrial {

struct SignalInfo {
  std::string name;  ///< carries its unit, e.g. "esketamine_ng_ml"
  std::string unit;
  std::string doc;
  /// Value of an input that no module of the composition writes; NaN: the input must be connected.
  double default_value = std::numeric_limits<double>::quiet_NaN();
};

/// One patient's signal values, indexed by slot (ModelSpec::signals()).
struct SignalBus {
  std::vector<double> value;
  double& operator[](std::size_t slot) { return value[slot]; }
  double operator[](std::size_t slot) const { return value[slot]; }
};

}  // namespace septrial
