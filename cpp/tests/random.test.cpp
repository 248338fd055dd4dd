// Per-patient random streams and the deterministic parallel_for.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "septrial/parallel.hpp"
#include "septrial/random.hpp"

namespace septrial {
namespace {

std::vector<double> draws(std::uint64_t seed, std::uint64_t index, Stream stream, int n = 64) {
  PatientRng rng(seed, index, stream);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(i % 2 ? rng.uniform() : rng.normal());
  return out;
}

TEST(PatientRng, SameKeyGivesTheSameSequence) {
  EXPECT_EQ(draws(42, 7, Stream::Parameters), draws(42, 7, Stream::Parameters));
  // Independent of what other streams did in between.
  PatientRng other(42, 8, Stream::Parameters);
  for (int i = 0; i < 1000; ++i) other.normal();
  EXPECT_EQ(draws(42, 7, Stream::Parameters), draws(42, 7, Stream::Parameters));
}

TEST(PatientRng, EveryPartOfTheKeyMatters) {
  const auto base = draws(42, 7, Stream::Parameters);
  EXPECT_NE(base, draws(42, 8, Stream::Parameters));
  EXPECT_NE(base, draws(43, 7, Stream::Parameters));
  EXPECT_NE(base, draws(42, 7, Stream::Measurement));
  // Both 32-bit halves of seed and index enter the seed sequence.
  const std::uint64_t high = std::uint64_t{1} << 32;
  EXPECT_NE(base, draws(42 + high, 7, Stream::Parameters));
  EXPECT_NE(base, draws(42, 7 + high, Stream::Parameters));
  // Swapping seed and index gives another stream, not the same one.
  EXPECT_NE(draws(3, 5, Stream::Outcome), draws(5, 3, Stream::Outcome));
}

TEST(PatientRng, NeighbouringIndicesAreUncorrelated) {
  // Lag-0 correlation between the first normals of patients i and i + 1, over many patients:
  // |r| < 4 / sqrt(n) for independent streams.
  const int n = 20000;
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  double prev = PatientRng(1, 0, Stream::Parameters).normal();
  for (int i = 1; i <= n; ++i) {
    const double cur = PatientRng(1, static_cast<std::uint64_t>(i), Stream::Parameters).normal();
    sxy += prev * cur;
    sxx += prev * prev;
    syy += cur * cur;
    prev = cur;
  }
  EXPECT_LT(std::abs(sxy / std::sqrt(sxx * syy)), 4.0 / std::sqrt(n));
}

TEST(PatientRng, UniformAndNormalMoments) {
  PatientRng rng(2024, 1, Stream::Covariates);
  const int n = 200000;
  double su = 0.0, sn = 0.0, sn2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform_open();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  // Standard errors: uniform mean sqrt(1/12/n), normal mean 1/sqrt(n), normal variance sqrt(2/n).
  EXPECT_NEAR(su / n, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_NEAR(sn / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(sn2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
}

// ---- parallel_for ----

std::vector<double> per_item_work(std::size_t n, int threads) {
  std::vector<double> out(n, -1.0);
  RunControl control;
  parallel_for(n, threads, control, [&](std::size_t i) {
    PatientRng rng(99, i, Stream::Outcome);
    double s = 0.0;
    for (int k = 0; k < 50; ++k) s += rng.normal();
    out[i] = s;
  });
  EXPECT_EQ(control.done.load(), n);
  return out;
}

TEST(ParallelFor, ResultsDoNotDependOnThreadCount) {
  const auto one = per_item_work(1000, 1);
  EXPECT_EQ(one, per_item_work(1000, 2));
  EXPECT_EQ(one, per_item_work(1000, 4));
  EXPECT_EQ(one, per_item_work(1000, 0));  // threads < 1 means one worker
  // Items are each visited exactly once.
  for (double v : one) EXPECT_NE(v, -1.0);
}

TEST(ParallelFor, EmptyRangeIsANoOp) {
  RunControl control;
  bool called = false;
  parallel_for(0, 4, control, [&](std::size_t) { called = true; });
  EXPECT_FALSE(called);
}

TEST(ParallelFor, RethrowsTheFirstExceptionAndStops) {
  RunControl control;
  std::vector<int> visited(100, 0);
  try {
    parallel_for(100, 1, control, [&](std::size_t i) {
      visited[i] = 1;
      if (i == 5) throw std::runtime_error("item 5");
      if (i == 7) throw std::runtime_error("item 7");
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "item 5");
  }
  // One worker: the error cancels every later item.
  EXPECT_EQ(std::accumulate(visited.begin(), visited.end(), 0), 6);
  EXPECT_TRUE(control.cancel.load());
  EXPECT_EQ(control.done.load(), 5u);
}

TEST(ParallelFor, RethrowsFromAnyWorker) {
  RunControl control;
  std::atomic<int> calls{0};
  EXPECT_THROW(parallel_for(
                   10000, 2, control,
                   [&](std::size_t i) {
                     ++calls;
                     if (i == 17) throw std::logic_error("bad item");
                   },
                   [] {}, 1),
               std::logic_error);
  EXPECT_LT(control.done.load(), 10000u);
}

TEST(ParallelFor, PollRunsOnTheCallerAndCanCancel) {
  RunControl control;
  const auto caller = std::this_thread::get_id();
  std::atomic<int> polls{0};
  std::atomic<bool> poll_elsewhere{false};
  parallel_for(
      100000, 2, control, [](std::size_t) { std::this_thread::sleep_for(std::chrono::microseconds(50)); },
      [&] {
        if (std::this_thread::get_id() != caller) poll_elsewhere = true;
        if (++polls == 2) control.cancel = true;
      },
      5);
  EXPECT_GE(polls.load(), 2);
  EXPECT_FALSE(poll_elsewhere.load());
  EXPECT_LT(control.done.load(), 100000u);  // cancelled without an exception
}

TEST(ParallelFor, ExceptionFromPollIsRethrown) {
  RunControl control;
  EXPECT_THROW(
      parallel_for(
          100000, 2, control, [](std::size_t) { std::this_thread::sleep_for(std::chrono::microseconds(50)); },
          [] { throw std::runtime_error("progress callback failed"); }, 5),
      std::runtime_error);
  EXPECT_TRUE(control.cancel.load());
}

}  // namespace
}  // namespace septrial
