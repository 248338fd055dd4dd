// Dormand-Prince 5(4) with FSAL, step-size control and dense output on a fixed-size state. The
// stages and the error estimate are odeint's runge_kutta_dopri5 written out, every arithmetic
// operation in odeint's order; the dense output is Hairer's (its constant divisions folded at
// compile time); the step-size control is that of Hairer's DOPRI5 (adapt), which takes fewer
// trials than odeint's default adjuster. What it drops is odeint's layering (resizers, wrapped
// states, algebra dispatch, state copies on each accepted step), which cost ~960 instructions per
// step for 6 states besides the right-hand side. Same interface as odeint's dense-output stepper
// (initialize, do_step, calc_state, current_*), so the integrator's driver takes either; several
// steppers can also take their trials together (try_steps).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>

// On x86-64 Linux with GCC, the step is also compiled for AVX2 and the CPU picks the variant at load
// time (an ifunc): twice the doubles per vector instruction in the stage combinations and a dense
// linear right-hand side. No FMA is enabled, so every operation rounds as in the baseline build and
// results are the same on any CPU.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SEPTRIAL_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SEPTRIAL_SIMD_CLONES
#endif

namespace septrial {

namespace dopri5_detail {
/// One coefficient times one stage derivative.
struct Term {
  double s;
  const double* k;
};
/// y = x + s1 k1 + s2 k2 + ..., summed left to right for each element (odeint's scale_sum). The
/// output is restrict, so the loop vectorises; each element's bits are those of the scalar loop.
template <std::size_t N, class... Terms>
inline void combine(double* __restrict__ y, const double* x, Terms... terms) {
  for (std::size_t i = 0; i < N; ++i) y[i] = (x[i] + ... + (terms.s * terms.k[i]));
}

/// The Dormand-Prince 5(4) tableau (nodes a, stage weights b, solution weights c, error weights dc
/// = c - c*), as in odeint's runge_kutta_dopri5.
struct Tableau {
  static constexpr double a2 = 1.0 / 5.0, a3 = 3.0 / 10.0, a4 = 4.0 / 5.0, a5 = 8.0 / 9.0;
  static constexpr double b21 = 1.0 / 5.0;
  static constexpr double b31 = 3.0 / 40.0, b32 = 9.0 / 40.0;
  static constexpr double b41 = 44.0 / 45.0, b42 = -56.0 / 15.0, b43 = 32.0 / 9.0;
  static constexpr double b51 = 19372.0 / 6561.0, b52 = -25360.0 / 2187.0, b53 = 64448.0 / 6561.0,
                          b54 = -212.0 / 729.0;
  static constexpr double b61 = 9017.0 / 3168.0, b62 = -355.0 / 33.0, b63 = 46732.0 / 5247.0,
                          b64 = 49.0 / 176.0, b65 = -5103.0 / 18656.0;
  static constexpr double c1 = 35.0 / 384.0, c3 = 500.0 / 1113.0, c4 = 125.0 / 192.0, c5 = -2187.0 / 6784.0,
                          c6 = 11.0 / 84.0;
  static constexpr double dc1 = c1 - 5179.0 / 57600.0, dc3 = c3 - 7571.0 / 16695.0, dc4 = c4 - 393.0 / 640.0,
                          dc5 = c5 - -92097.0 / 339200.0, dc6 = c6 - 187.0 / 2100.0, dc7 = -1.0 / 40.0;
};

/// x^(-1/5) for the step-size controller, x positive and normal, to a relative 3e-9 (the error
/// pattern repeats every five octaves; tested on [1e-6, 1e4]): a first guess read off the IEEE-754 bits (log2
/// of x is about its biased exponent field, divided by -5 and shifted by a tuned 0.06 of an octave), then
/// three Newton steps on y^-5 = x. Only multiplications after the guess: about half the latency of
/// std::pow, which sits on the critical path from one step's error to the next step's size.
inline double inverse_fifth_root(double x) {
  constexpr std::int64_t one = 0x3FF0000000000000LL;                   // bits of 1.0
  constexpr std::int64_t shift = static_cast<std::int64_t>(0.06 * 4503599627370496.0);  // 0.06 * 2^52
  std::int64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  bits = one - (bits - one) / 5 - shift;
  double y = 0.0;
  std::memcpy(&y, &bits, sizeof y);
  for (int i = 0; i < 3; ++i) {
    const double y2 = y * y;
    y = y * (6.0 - x * (y2 * y2 * y)) * 0.2;
  }
  return y;
}
}  // namespace dopri5_detail

template <std::size_t N>
class Dopri5Dense {
 public:
  using State = std::array<double, N>;

  Dopri5Dense(double atol, double rtol) : atol_(atol), rtol_(rtol) {}

  /// Starts at (x0, t0) with step dt0; the derivative is evaluated at the next do_step.
  void initialize(const State& x0, double t0, double dt0) {
    x_[cur_] = x0;
    t_ = t0;
    dt_ = dt0;
    deriv_ready_ = false;
    rejected_ = false;
  }
  /// Changes the next trial step and keeps the derivative at the current state: that derivative
  /// is f(t, x) at the same (t, x) that initialize() would evaluate again, so the result is the
  /// same with one right-hand-side evaluation less.
  void set_step(double dt) { dt_ = dt; }

  /// One accepted step (rejected trials are retried with a smaller step, at most 500 trials as in
  /// odeint); returns (t_old, t_new).
  template <class System>
  std::pair<double, double> do_step(System& system) {
    begin_step(system);
    for (int trials = 0;;) {
      const bool accepted = try_step(system);
      if (trials++ >= 500) throw_too_many_trials();
      if (accepted) break;
    }
    return end_step();
  }

  /// do_step in parts, for steppers advanced together (try_steps): begin_step, trials until one
  /// is accepted, end_step.
  template <class System>
  void begin_step(System& system) {
    if (!deriv_ready_) {
      system(x_[cur_], dx_[cur_], t_);
      deriv_ready_ = true;
    }
    t_old_ = t_;
  }
  std::pair<double, double> end_step() {
    cur_ ^= 1;
    return {t_old_, t_};
  }
  [[noreturn]] static void throw_too_many_trials() {
    throw std::runtime_error("Max number of iterations exceeded (500). A new step size was not found.");
  }

  /// Dense output at t in [t_old, t_new] of the last step (Hairer, Norsett & Wanner I, p. 191).
  SEPTRIAL_SIMD_CLONES void calc_state(double t, State& x) const {
    constexpr double b1 = 35.0 / 384.0, b3 = 500.0 / 1113.0, b4 = 125.0 / 192.0, b5 = -2187.0 / 6784.0,
                     b6 = 11.0 / 84.0;
    const State& x_old = x_[cur_ ^ 1];
    const State& k1 = dx_[cur_ ^ 1];
    const State& k7 = dx_[cur_];
    const double dt = t_ - t_old_;
    const double theta = (t - t_old_) / dt;
    // Hairer's X_i(theta) = (c_i - d_i theta) / e_i with the divisions done at compile time: the
    // weights differ from odeint's in the last bits only (six divisions per output time fewer).
    constexpr double x1c = 5.0 * 2558722523.0 / 11282082432.0, x1d = 5.0 * 31403016.0 / 11282082432.0;
    constexpr double x3c = 100.0 * 882725551.0 / 32700410799.0, x3d = 100.0 * 15701508.0 / 32700410799.0;
    constexpr double x4c = 25.0 * 443332067.0 / 1880347072.0, x4d = 25.0 * 31403016.0 / 1880347072.0;
    constexpr double x5c = 32805.0 * 23143187.0 / 199316789632.0, x5d = 32805.0 * 3489224.0 / 199316789632.0;
    constexpr double x6c = 55.0 * 29972135.0 / 822651844.0, x6d = 55.0 * 7076736.0 / 822651844.0;
    constexpr double x7c = 10.0 * 7414447.0 / 29380423.0, x7d = 10.0 * 829305.0 / 29380423.0;
    const double X1 = x1c - x1d * theta, X3 = x3c - x3d * theta, X4 = x4c - x4d * theta;
    const double X5 = x5c - x5d * theta, X6 = x6c - x6d * theta, X7 = x7c - x7d * theta;
    const double theta_m_1 = theta - 1.0;
    const double theta_sq = theta * theta;
    const double A = theta_sq * (3.0 - 2.0 * theta);
    const double B = theta_sq * theta_m_1;
    const double C = theta_sq * theta_m_1 * theta_m_1;
    const double D = theta * theta_m_1 * theta_m_1;
    const double w1 = dt * (A * b1 - C * X1 + D), w3 = dt * (A * b3 + C * X3), w4 = dt * (A * b4 - C * X4),
                 w5 = dt * (A * b5 + C * X5), w6 = dt * (A * b6 - C * X6), w7 = dt * (B + C * X7);
    using T = dopri5_detail::Term;
    dopri5_detail::combine<N>(x.data(), x_old.data(), T{w1, k1.data()}, T{w3, k3_.data()}, T{w4, k4_.data()},
                              T{w5, k5_.data()}, T{w6, k6_.data()}, T{w7, k7.data()});
  }

  const State& current_state() const { return x_[cur_]; }
  double current_time() const { return t_; }
  double current_time_step() const { return dt_; }

 private:
  /// One trial from (x_[cur_], dx_[cur_], t_) into the other slot; on success advances t_ and
  /// proposes the next step, on failure shrinks dt_ (odeint's default error checker and step
  /// adjuster: max-norm of |err| / (atol + rtol (|x| + |dt| |dx/dt|))).
  template <class System>
  SEPTRIAL_SIMD_CLONES bool try_step(System& system) {
    const State& in = x_[cur_];
    const State& k1 = dx_[cur_];
    const double t = t_, dt = dt_;
    stage<2>(system, in, k1, t, dt);
    stage<3>(system, in, k1, t, dt);
    stage<4>(system, in, k1, t, dt);
    stage<5>(system, in, k1, t, dt);
    stage<6>(system, in, k1, t, dt);
    stage<7>(system, in, k1, t, dt);
    return adapt(scaled_error(in, k1, dt), t, dt);
  }

  /// Stage S (2-7) of a trial from (in, k1) at t with step dt: the stage state into tmp_ and its
  /// derivative into k<S>; stage 7 is the solution into the other slot and its derivative, which is
  /// the next step's k1 (first same as last). The coefficients are odeint's, in its order.
  template <int S, class System>
  void stage(System& system, const State& in, const State& k1, double t, double dt) {
    using dopri5_detail::combine;
    using B = dopri5_detail::Tableau;
    using T = dopri5_detail::Term;
    if constexpr (S == 2) {
      combine<N>(tmp_.data(), in.data(), T{dt * B::b21, k1.data()});
      system(tmp_, k2_, t + dt * B::a2);
    } else if constexpr (S == 3) {
      combine<N>(tmp_.data(), in.data(), T{dt * B::b31, k1.data()}, T{dt * B::b32, k2_.data()});
      system(tmp_, k3_, t + dt * B::a3);
    } else if constexpr (S == 4) {
      combine<N>(tmp_.data(), in.data(), T{dt * B::b41, k1.data()}, T{dt * B::b42, k2_.data()},
                 T{dt * B::b43, k3_.data()});
      system(tmp_, k4_, t + dt * B::a4);
    } else if constexpr (S == 5) {
      combine<N>(tmp_.data(), in.data(), T{dt * B::b51, k1.data()}, T{dt * B::b52, k2_.data()},
                 T{dt * B::b53, k3_.data()}, T{dt * B::b54, k4_.data()});
      system(tmp_, k5_, t + dt * B::a5);
    } else if constexpr (S == 6) {
      combine<N>(tmp_.data(), in.data(), T{dt * B::b61, k1.data()}, T{dt * B::b62, k2_.data()},
                 T{dt * B::b63, k3_.data()}, T{dt * B::b64, k4_.data()}, T{dt * B::b65, k5_.data()});
      system(tmp_, k6_, t + dt);
    } else {
      static_assert(S == 7, "Dormand-Prince has stages 2 to 7 after k1");
      State& out = x_[cur_ ^ 1];
      combine<N>(out.data(), in.data(), T{dt * B::c1, k1.data()}, T{dt * B::c3, k3_.data()},
                 T{dt * B::c4, k4_.data()}, T{dt * B::c5, k5_.data()}, T{dt * B::c6, k6_.data()});
      system(out, dx_[cur_ ^ 1], t + dt);
    }
  }

  /// The trial's error norm (after stage 7); tmp_, the stage state no longer needed, holds the
  /// scaled errors.
  double scaled_error(const State& in, const State& k1, double dt) {
    using B = dopri5_detail::Tableau;
    return error_norm(tmp_.data(), in.data(), k1.data(), std::abs(dt), dt * B::dc1, dt * B::dc3, dt * B::dc4,
                      dt * B::dc5, dt * B::dc6, dt * B::dc7, dx_[cur_ ^ 1].data());
  }

 public:
  /// One trial of each of L independent steppers (null entries are skipped), stage by stage: stage
  /// s of every stepper, then stage s + 1. Each stepper does exactly the operations of its own
  /// try_step, in the same order, so its results are bit-identical (tested); interleaving L
  /// independent dependency chains lets the CPU overlap them (a patient's step with a nonlinear
  /// right-hand side is bound by latency, not throughput). Both call the same stage<S>; try_step is
  /// not try_steps<1>, which ran 30 % slower on the linear right-hand side (Otto 2021 PK, 8,000
  /// patients: 157 against 119 ms).
  template <std::size_t L, class System>
  SEPTRIAL_SIMD_CLONES static void try_steps(const std::array<Dopri5Dense*, L>& steppers,
                                             const std::array<System*, L>& system,
                                             std::array<bool, L>& accepted,
                                             std::array<std::exception_ptr, L>& errors) {
    // A right-hand side that throws stops its own stepper only (its state is left as at the start
    // of the trial); the others finish their trial.
    std::array<Dopri5Dense*, L> s = steppers;
    // Each stepper's slots, time and step, read once (as locals they need no reloading after the
    // right-hand sides' stores).
    std::array<const State*, L> in{}, k1{};
    std::array<double, L> t_start{}, step{};
    for (std::size_t l = 0; l < L; ++l) {
      if (!s[l]) continue;
      in[l] = &s[l]->x_[s[l]->cur_];
      k1[l] = &s[l]->dx_[s[l]->cur_];
      t_start[l] = s[l]->t_;
      step[l] = s[l]->dt_;
    }
    auto stage_all = [&](auto stage_number) {
      constexpr int S = decltype(stage_number)::value;
      for (std::size_t l = 0; l < L; ++l) {
        if (!s[l]) continue;
        try {
          s[l]->template stage<S>(*system[l], *in[l], *k1[l], t_start[l], step[l]);
        } catch (...) {
          errors[l] = std::current_exception();
          s[l] = nullptr;
        }
      }
    };
    stage_all(std::integral_constant<int, 2>{});
    stage_all(std::integral_constant<int, 3>{});
    stage_all(std::integral_constant<int, 4>{});
    stage_all(std::integral_constant<int, 5>{});
    stage_all(std::integral_constant<int, 6>{});
    stage_all(std::integral_constant<int, 7>{});
    for (std::size_t l = 0; l < L; ++l) {
      if (!s[l]) continue;
      accepted[l] = s[l]->adapt(s[l]->scaled_error(*in[l], *k1[l], step[l]), t_start[l], step[l]);
    }
  }

 private:
  /// The step-size control after a trial from t with step dt and error norm err: accepted (t_
  /// advances) when err <= 1; either way dt_ becomes the next trial step, dt times 0.9 err^(-1/5)
  /// kept within [0.2, 10], and not above 1 right after a rejection (Hairer, Norsett & Wanner I,
  /// section II.4, and their DOPRI5 code with beta = 0). odeint's default adjuster instead shrinks by
  /// err^(-1/3), grows at most 5x and keeps dt for 1/2 <= err <= 1; on the Reynolds 2006 cohort of
  /// benchmarks/ this one takes 6 % fewer trials for the same error (docs/benchmarks.md).
  bool adapt(double err, double t, double dt) {
    constexpr double safety = 0.9, min_factor = 0.2, max_factor = 10.0;  // Hairer's DOPRI5 defaults
    // Outside [1e-6, 1e4] the factor is clamped anyway; inside, the root is accurate to 3e-9.
    const double factor = safety * dopri5_detail::inverse_fifth_root(std::min(std::max(err, 1e-6), 1e4));
    if (err > 1.0) {
      dt_ = dt * std::max(factor, min_factor);
      rejected_ = true;
      return false;
    }
    t_ = t + dt;
    dt_ = dt * std::min(std::max(factor, min_factor), rejected_ ? 1.0 : max_factor);
    rejected_ = false;
    return true;
  }

  /// max_i |err_i| / (atol + rtol (|x_i| + |dt| |k1_i|)) with err = sum e_j k_j (odeint's error
  /// estimate, rel_error and norm_inf: a NaN term is skipped by the max).
  double error_norm(double* __restrict__ rel, const double* __restrict__ x, const double* __restrict__ k1,
                    double abs_dt, double e1, double e3, double e4, double e5, double e6, double e7,
                    const double* __restrict__ k7) {
    const double *k3 = k3_.data(), *k4 = k4_.data(), *k5 = k5_.data(), *k6 = k6_.data();
    for (std::size_t i = 0; i < N; ++i) {
      const double xerr = e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i];
      rel[i] = std::abs(xerr) / (atol_ + rtol_ * (std::abs(x[i]) + abs_dt * std::abs(k1[i])));
    }
    double err = 0.0;
    for (std::size_t i = 0; i < N; ++i) err = std::max(err, rel[i]);
    return err;
  }

  double atol_, rtol_;
  std::array<State, 2> x_{}, dx_{};  ///< current and previous state and derivative, by cur_
  State k2_{}, k3_{}, k4_{}, k5_{}, k6_{}, tmp_{};
  double t_ = 0.0, t_old_ = 0.0, dt_ = 0.0;
  unsigned cur_ = 0;
  bool deriv_ready_ = false;
  bool rejected_ = false;  ///< the last trial was rejected
};

}  // namespace septrial
