#include "septrial/endpoints.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "septrial/errors.hpp"

namespace septrial {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t time_index(const std::vector<double>& times, double t) {
  auto it = std::lower_bound(times.begin(), times.end(), t - 1e-9);
  if (it == times.end() || std::abs(*it - t) > 1e-9) {
    throw std::logic_error("reduce_endpoints: sample time " + std::to_string(t) + " h was not simulated");
  }
  return static_cast<std::size_t>(it - times.begin());
}
}  // namespace

const std::vector<std::pair<std::string, EndpointSpec::Kind>>& endpoint_kind_names() {
  using K = EndpointSpec::Kind;
  static const std::vector<std::pair<std::string, K>> names{
      {"value", K::Value}, {"change", K::Change}, {"log_ratio", K::LogRatio}, {"auc", K::Auc},
      {"min", K::Min},     {"max", K::Max},       {"time_to", K::TimeTo},     {"event_by", K::EventBy}};
  return names;
}

std::vector<double> EndpointSpec::times() const {
  switch (kind) {
    case Kind::Value:
      return {time_h};
    case Kind::Change:
    case Kind::LogRatio:
      return {baseline_h, time_h};
    case Kind::EventBy:
      return {};
    default: {
      std::vector<double> t;
      for (double s = from_h; s < to_h - 1e-9; s += every_h) t.push_back(s);
      t.push_back(to_h);
      return t;
    }
  }
}

std::string EndpointSpec::flag_name() const {
  return name + (kind == Kind::TimeTo || kind == Kind::EventBy ? "_event" : "_censored");
}

void reduce_endpoints(const std::vector<EndpointSpec>& endpoints, const std::vector<double>& times,
                      const std::vector<double>& samples, const std::vector<char>& censored,
                      std::size_t n_obs, double death_rel_h, double* out) {
  auto at = [&](double t, std::size_t col) { return samples[time_index(times, t) * n_obs + col]; };
  auto cens = [&](double t, std::size_t col) { return censored[time_index(times, t) * n_obs + col] != 0; };
  for (std::size_t e = 0; e < endpoints.size(); ++e) {
    const EndpointSpec& ep = endpoints[e];
    double& value = out[2 * e];
    double& flag = out[2 * e + 1];
    value = kNaN;
    flag = 0.0;
    using K = EndpointSpec::Kind;
    if (ep.kind == K::EventBy) {
      value = death_rel_h <= ep.time_h ? 1.0 : 0.0;
      flag = value;
      continue;
    }
    const auto need = ep.times();
    if (ep.kind != K::TimeTo && death_rel_h <= need.back()) continue;  // missing by design
    const std::size_t c = ep.column;
    switch (ep.kind) {
      case K::Value:
        value = at(ep.time_h, c);
        flag = cens(ep.time_h, c);
        break;
      case K::Change:
        value = at(ep.time_h, c) - at(ep.baseline_h, c);
        flag = cens(ep.time_h, c) || cens(ep.baseline_h, c);
        break;
      case K::LogRatio:
        value = std::log(at(ep.time_h, c) / at(ep.baseline_h, c));
        flag = cens(ep.time_h, c) || cens(ep.baseline_h, c);
        break;
      case K::Auc:
      case K::Min:
      case K::Max: {
        double auc = 0.0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
        bool any_cens = false;
        for (std::size_t k = 0; k < need.size(); ++k) {
          const double y = at(need[k], c);
          any_cens = any_cens || cens(need[k], c);
          lo = std::min(lo, y);
          hi = std::max(hi, y);
          if (k > 0) auc += 0.5 * (y + at(need[k - 1], c)) * (need[k] - need[k - 1]);
        }
        value = ep.kind == K::Auc ? auc : (ep.kind == K::Min ? lo : hi);
        flag = any_cens;
        break;
      }
      case K::TimeTo: {
        // First sample meeting the threshold, among samples taken while alive; else censored at
        // the last sample taken alive (or at randomisation when dead before the first one).
        value = ep.from_h;
        for (double t : need) {
          if (t >= death_rel_h) break;
          value = t;
          const double y = at(t, c);
          if (ep.above ? y >= ep.threshold : y <= ep.threshold) {
            flag = 1.0;
            break;
          }
        }
        break;
      }
      case K::EventBy:
        break;
    }
  }
}

}  // namespace septrial
