// Per-patient solver status as NumPy arrays: no Python object per patient (a million-patient run
// would otherwise hold a million tuples and reason strings).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "septrial/integrator.hpp"

namespace septrial::bindings {

/// {"ok": bool[n], "steps": int64[n], "rhs_evals": int64[n], "reason": int32[n], "reasons": [str]}:
/// patient i's reason is reasons[reason[i]]; reasons holds each distinct reason once, and
/// reasons[0] is "" (the reason of every patient whose solve succeeded). Filled in pieces (a run
/// in chunks) with the GIL held.
class StatusArrays {
 public:
  explicit StatusArrays(pybind11::ssize_t n) : ok_(n), steps_(n), rhs_evals_(n), reason_(n) {}

  void fill(pybind11::ssize_t offset, const std::vector<SolveStatus>& status) {
    auto o = ok_.mutable_unchecked<1>();
    auto s = steps_.mutable_unchecked<1>();
    auto r = rhs_evals_.mutable_unchecked<1>();
    auto k = reason_.mutable_unchecked<1>();
    for (std::size_t j = 0; j < status.size(); ++j) {
      const auto i = offset + static_cast<pybind11::ssize_t>(j);
      const auto& st = status[j];
      o(i) = st.ok;
      s(i) = static_cast<std::int64_t>(st.steps);
      r(i) = static_cast<std::int64_t>(st.rhs_evals);
      auto [it, added] = index_.try_emplace(st.reason, static_cast<std::int32_t>(reasons_.size()));
      if (added) reasons_.push_back(st.reason);
      k(i) = it->second;
    }
  }

  pybind11::dict dict() const {
    namespace py = pybind11;
    return py::dict(py::arg("ok") = ok_, py::arg("steps") = steps_, py::arg("rhs_evals") = rhs_evals_,
                    py::arg("reason") = reason_, py::arg("reasons") = py::cast(reasons_));
  }

 private:
  pybind11::array_t<bool> ok_;
  pybind11::array_t<std::int64_t> steps_, rhs_evals_;
  pybind11::array_t<std::int32_t> reason_;
  std::vector<std::string> reasons_{""};
  std::unordered_map<std::string, std::int32_t> index_{{"", 0}};
};

inline pybind11::dict status_arrays(const std::vector<SolveStatus>& status) {
  StatusArrays out(static_cast<pybind11::ssize_t>(status.size()));
  out.fill(0, status);
  return out.dict();
}

}  // namespace septrial::bindings
