// Input errors carry the name of the offending field so users see what to fix.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace septrial {

/// Bad user input; the bindings translate it into Python's ValueError.
class InputError : public std::invalid_argument {
 public:
  InputError(const std::string& field, const std::string& problem)
      : std::invalid_argument(field + ": " + problem), field_(field) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

inline std::string format_number(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

}  // namespace septrial
