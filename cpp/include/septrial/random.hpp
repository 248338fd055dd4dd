// Per-item random streams: each patient's randomness depends only on (seed, index, stream),
// so results do not change with thread count, chunking or executor.
#pragma once

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/seed_seq.hpp>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace septrial {

/// Independent purposes draw from independent streams of the same patient.
enum class Stream : std::uint32_t {
  Covariates = 1,
  Parameters = 2,
  Measurement = 3,
  Outcome = 4,
  Trial = 5,
};

class PatientRng {
 public:
  PatientRng(std::uint64_t seed, std::uint64_t index, Stream stream) {
    boost::random::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                                static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                                static_cast<std::uint32_t>(stream)};
    engine_.seed(seq);
  }
  /// Uniform on [0, 1).
  double uniform() { return boost::random::uniform_01<double>{}(engine_); }
  /// Uniform on the open interval (0, 1): safe for log and inverse CDFs.
  double uniform_open() {
    double u = uniform();
    while (u <= 0.0) u = uniform();
    return u;
  }
  double normal() { return normal_(engine_); }
  /// 64 random bits (e.g. the key of a family of keyed draws).
  std::uint64_t bits() { return engine_(); }

 private:
  boost::random::mt19937_64 engine_;
  boost::random::normal_distribution<double> normal_{0.0, 1.0};
};

/// A standard normal keyed by (seed, index, key1, key2) alone: counter-based (splitmix64 mixing,
/// Box-Muller), so e.g. the assay error of one measurement does not depend on which other
/// measurements were taken.
inline double keyed_normal(std::uint64_t seed, std::uint64_t index, std::uint64_t key1, std::uint64_t key2) {
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  const std::uint64_t h = mix(mix(mix(mix(seed) ^ index) ^ key1) ^ key2);
  const double u1 = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  const double u2 = static_cast<double>(mix(h) >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// FNV-1a hash of a name: keys draws by what they are for (a module, a parameter), not by position.
inline std::uint64_t name_key(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace septrial
