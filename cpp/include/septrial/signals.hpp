// Named signals through which composed modules talk (e.g. esketamine concentration -> inhibition).
#pragma once

#include <array>
#include <cstddef>

namespace septrial {

enum class Signal : std::size_t {
  EsketamineNgMl,  ///< esketamine plasma concentration, ng/mL
  PropofolMgL,     ///< propofol plasma concentration, mg/L
  Il6PgMl,         ///< plasma IL-6, pg/mL (for inflammation -> clearance coupling)
  Count
};

struct SignalBus {
  std::array<double, static_cast<std::size_t>(Signal::Count)> value{};
  double& operator[](Signal s) { return value[static_cast<std::size_t>(s)]; }
  double operator[](Signal s) const { return value[static_cast<std::size_t>(s)]; }
};

}  // namespace septrial
