// Per-item random streams: each patient's randomness depends only on (seed, index, stream),
// so results do not change with thread count, chunking or executor.
#pragma once

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/seed_seq.hpp>
#include <cstdint>

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

 private:
  boost::random::mt19937_64 engine_;
  boost::random::normal_distribution<double> normal_{0.0, 1.0};
};

}  // namespace septrial
