#include "core/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace hearth::core {

std::string JavaDoubleString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  double a = std::fabs(v);
  char buf[64];
  if (a == 0 || (a >= 1e-3 && a < 1e7)) {
    if (v == std::floor(v) && a < 1e15) {
      std::snprintf(buf, sizeof(buf), "%.1f", v);
      return buf;
    }
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    // Shortest representation that round-trips.
    for (int p = 1; p <= 17; ++p) {
      std::snprintf(buf, sizeof(buf), "%.*g", p, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
  }
  int exp = static_cast<int>(std::floor(std::log10(a)));
  double mant = v / std::pow(10.0, exp);
  std::string m;
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof(buf), "%.*g", p, mant);
    if (std::strtod(buf, nullptr) * std::pow(10.0, exp) == v || p == 17) break;
  }
  m = buf;
  if (m.find('.') == std::string::npos) m += ".0";
  return m + "E" + std::to_string(exp);
}

Metrics::Metrics(std::string hostname) : hostname_(std::move(hostname)) {}

void Metrics::CountResponse(int status) {
  if (status >= 200 && status < 300) requests_2xx_++;
  else if (status >= 400 && status < 500) requests_4xx_++;
  else if (status >= 500) requests_5xx_++;
}

Metrics::ModelCounters& Metrics::For(const std::string& model, const std::string& version_label) {
  std::lock_guard lock(mu_);
  auto& slot = per_model_[{model, version_label}];
  if (!slot) slot = std::make_unique<ModelCounters>();
  return *slot;
}

void Metrics::CountInferenceRequest(const std::string& model, const std::string& version_label) {
  For(model, version_label).requests++;
}

void Metrics::AddLatency(const std::string& model, const std::string& version_label, long long inference_us,
                         long long queue_us) {
  auto& c = For(model, version_label);
  c.inference_us += inference_us;
  c.queue_us += queue_us;
}

std::string Metrics::RenderPrometheus(bool legacy_only, const std::vector<std::string>& names) const {
  std::ostringstream out;
  auto wanted = [&](const std::string& n) {
    if (names.empty()) return true;
    for (const auto& x : names) {
      if (x == n) return true;
    }
    return false;
  };
  auto header = [&](const std::string& name, const char* type, const char* unit) {
    out << "# HELP " << name << " Torchserve prometheus " << type << " metric with unit: " << unit << "\n";
    out << "# TYPE " << name << " " << type << "\n";
  };
  if (!legacy_only) {
    const std::pair<const char*, long long> hosts[] = {{"Requests2XX", requests_2xx_.load()},
                                                       {"Requests4XX", requests_4xx_.load()},
                                                       {"Requests5XX", requests_5xx_.load()}};
    for (const auto& [name, value] : hosts) {
      if (!wanted(name)) continue;
      header(name, "counter", "Count");
      out << name << "{Level=\"Host\",Hostname=\"" << hostname_ << "\",} " << JavaDoubleString(double(value)) << "\n";
    }
  }
  std::lock_guard lock(mu_);
  const char* families[] = {"ts_inference_requests_total", "ts_inference_latency_microseconds",
                            "ts_queue_latency_microseconds"};
  const char* units[] = {"Count", "Microseconds", "Microseconds"};
  for (int f = 0; f < 3; ++f) {
    if (!wanted(families[f]) || per_model_.empty()) continue;
    header(families[f], "counter", units[f]);
    for (const auto& [key, c] : per_model_) {
      long long v = f == 0 ? c->requests.load() : f == 1 ? c->inference_us.load() : c->queue_us.load();
      out << families[f] << "{model_name=\"" << key.first << "\",model_version=\"" << key.second
          << "\",hostname=\"" << hostname_ << "\",} " << JavaDoubleString(double(v)) << "\n";
    }
  }
  return out.str();
}

}  // namespace hearth::core
