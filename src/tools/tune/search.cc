#include "tools/tune/search.h"

#include <algorithm>
#include <cstdio>

#include "common/strings.h"

namespace hearth::tune {
namespace {

constexpr Precision kAllPrecisions[] = {Precision::kFp32, Precision::kIpex, Precision::kBf16, Precision::kInt8};
constexpr int kBatchSizes[] = {2, 4, 8, 16};

}  // namespace

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32: return "fp32";
    case Precision::kIpex: return "ipex";
    case Precision::kBf16: return "bf16";
    case Precision::kInt8: return "int8";
  }
  return "?";
}

StatusOr<std::vector<Precision>> ParsePrecisions(const std::string& list) {
  std::vector<Precision> out;
  for (const std::string& item : Split(list, ',')) {
    const std::string name = ToLower(Trim(item));
    if (name.empty()) continue;
    auto it = std::find_if(std::begin(kAllPrecisions), std::end(kAllPrecisions),
                           [&](Precision p) { return name == PrecisionName(p); });
    if (it == std::end(kAllPrecisions)) {
      return InvalidArgument("--precisions: unknown precision \"" + name + "\" (fp32, ipex, bf16, int8)");
    }
    if (std::find(out.begin(), out.end(), *it) == out.end()) out.push_back(*it);
  }
  if (out.empty()) return InvalidArgument("--precisions: name at least one of fp32, ipex, bf16, int8");
  return out;
}

std::string Candidate::Key() const {
  return std::to_string(workers) + "x" + std::to_string(threads) + "/b" + std::to_string(batch_size) + "/" +
         (adaptive ? std::string("adaptive") : "delay" + std::to_string(batch_delay_ms)) + "/" +
         PrecisionName(precision);
}

std::string Candidate::Label() const {
  std::string closing = batch_size == 1 ? "" : adaptive ? " adaptive" : " delay " + std::to_string(batch_delay_ms) + "ms";
  return std::to_string(workers) + "x" + std::to_string(threads) + " b" + std::to_string(batch_size) + closing + " " +
         PrecisionName(precision);
}

Json Candidate::ToJson() const {
  return Json{{"workers", workers},   {"threads", threads},         {"batch_size", batch_size},
              {"adaptive", adaptive}, {"batch_delay_ms", batch_delay_ms}, {"precision", PrecisionName(precision)}};
}

StatusOr<Candidate> Candidate::FromJson(const Json& j) {
  Candidate c;
  try {
    c.workers = j.at("workers").get<int>();
    c.threads = j.at("threads").get<int>();
    c.batch_size = j.at("batch_size").get<int>();
    c.adaptive = j.at("adaptive").get<bool>();
    c.batch_delay_ms = j.at("batch_delay_ms").get<int>();
    ASSIGN_OR_RETURN(auto p, ParsePrecisions(j.at("precision").get<std::string>()));
    c.precision = p.front();
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("a candidate in the state file is malformed: ") + e.what());
  }
  return c;
}

Json Measurement::ToJson() const {
  return Json{{"ok", ok},
              {"error", error},
              {"throughput", throughput},
              {"concurrency", concurrency},
              {"p50_ms", p50_ms},
              {"p99_ms", p99_ms},
              {"errors", errors},
              {"rss_mb", rss_mb},
              {"queue_ms", queue_ms},
              {"inference_ms", inference_ms},
              {"preprocess_ms", preprocess_ms},
              {"forward_ms", forward_ms},
              {"postprocess_ms", postprocess_ms},
              {"batch_size_mean", batch_size_mean},
              {"agreement", agreement},
              {"agreement_inputs", agreement_inputs},
              {"slo_rate", slo_rate},
              {"slo_rate_p99_ms", slo_rate_p99_ms}};
}

Measurement Measurement::FromJson(const Json& j) {
  Measurement m;
  m.ok = j.value("ok", false);
  m.error = j.value("error", "");
  m.throughput = j.value("throughput", 0.0);
  m.concurrency = j.value("concurrency", 0);
  m.p50_ms = j.value("p50_ms", 0.0);
  m.p99_ms = j.value("p99_ms", 0.0);
  m.errors = j.value("errors", int64_t{0});
  m.rss_mb = j.value("rss_mb", 0.0);
  m.queue_ms = j.value("queue_ms", 0.0);
  m.inference_ms = j.value("inference_ms", 0.0);
  m.preprocess_ms = j.value("preprocess_ms", 0.0);
  m.forward_ms = j.value("forward_ms", 0.0);
  m.postprocess_ms = j.value("postprocess_ms", 0.0);
  m.batch_size_mean = j.value("batch_size_mean", 0.0);
  m.agreement = j.value("agreement", -1.0);
  m.agreement_inputs = j.value("agreement_inputs", 0);
  m.slo_rate = j.value("slo_rate", -1.0);
  m.slo_rate_p99_ms = j.value("slo_rate_p99_ms", 0.0);
  return m;
}

bool Admissible(const Measurement& m, const Objective& o) {
  if (!m.ok || m.errors > 0 || m.throughput <= 0) return false;
  if (m.agreement >= 0 && m.agreement < o.min_agreement) return false;
  if (o.kind == Objective::Kind::kSlo && m.slo_rate <= 0) return false;
  return true;
}

double Score(const Measurement& m, const Objective& o) {
  switch (o.kind) {
    case Objective::Kind::kThroughput: return m.throughput;
    case Objective::Kind::kLatency: return m.p50_ms > 0 ? 1000.0 / m.p50_ms : 0;  // answers per second at c=1
    case Objective::Kind::kSlo: return m.slo_rate;
  }
  return 0;
}

bool Better(const Measurement& a, const Measurement& b, const Objective& o) {
  if (!Admissible(a, o)) return false;
  if (!Admissible(b, o)) return true;
  return Score(a, o) > Score(b, o) * (1 + kMinGain);
}

std::vector<std::pair<int, int>> Layouts(int cores) {
  std::vector<std::pair<int, int>> out;
  for (int w = 1; w <= std::max(1, cores); ++w) {
    if (cores % w == 0) out.emplace_back(w, cores / w);
  }
  return out;
}

int ConcurrencyFor(const Candidate& c) { return std::max(2, 2 * c.workers * c.batch_size); }

Planner::Planner(int cores, std::vector<Precision> precisions, Objective objective)
    : cores_(std::max(1, cores)), precisions_(std::move(precisions)), objective_(objective) {
  if (precisions_.empty()) precisions_.push_back(Precision::kFp32);
}

const char* Planner::StageName(int stage) {
  static const char* kNames[] = {"start", "layout", "batching", "closing", "precision", "re-layout", "done"};
  return kNames[std::clamp(stage, 0, 6)];
}

bool Planner::Tried(const Candidate& c) const {
  return std::any_of(tried_.begin(), tried_.end(), [&](const tune::Tried& t) { return t.candidate.Key() == c.Key(); });
}

void Planner::Record(const Candidate& c, const Measurement& m) {
  for (auto& t : tried_) {
    if (t.candidate.Key() == c.Key()) {
      t.measurement = m;
      return;
    }
  }
  tried_.push_back({c, m});
}

std::optional<Tried> Planner::BestWhere(const std::function<bool(const Candidate&)>& keep) const {
  std::optional<tune::Tried> best;
  for (const auto& t : tried_) {
    if (!keep(t.candidate) || !Admissible(t.measurement, objective_)) continue;
    // A later (more elaborate) configuration must win by more than kMinGain.
    if (!best || Better(t.measurement, best->measurement, objective_)) best = t;
  }
  return best;
}

std::optional<Tried> Planner::Best() const {
  return BestWhere([](const Candidate&) { return true; });
}

std::vector<Candidate> Planner::Next() {
  // Each stage starts from the best of the stages before it (never from a
  // later one), so a resumed search asks for exactly what is still missing.
  const Precision first = precisions_.front();
  auto first_precision = [first](const Candidate& c) { return c.precision == first; };
  while (stage_ <= 5) {
    std::vector<Candidate> wanted;
    if (stage_ == 0) {
      stage_ = 1;
      continue;
    }
    if (stage_ == 1) {
      for (auto [w, t] : Layouts(cores_)) {
        Candidate c;
        c.workers = w;
        c.threads = t;
        c.precision = first;
        wanted.push_back(c);
      }
    } else if (stage_ == 2) {
      const auto layout = BestWhere([&](const Candidate& c) { return first_precision(c) && c.batch_size == 1; });
      if (layout) {
        // One size at a time, while each beats everything on this layout so far.
        auto on_layout = [&](const Candidate& c) {
          return first_precision(c) && c.adaptive && c.workers == layout->candidate.workers;
        };
        for (size_t i = 0; i < std::size(kBatchSizes); ++i) {
          Candidate c = layout->candidate;
          c.batch_size = kBatchSizes[i];
          c.adaptive = true;
          c.batch_delay_ms = 0;
          if (Tried(c)) continue;
          const auto best = BestWhere([&](const Candidate& t) { return on_layout(t) && t.batch_size < c.batch_size; });
          const bool previous_won = i == 0 || (best && best->candidate.batch_size == kBatchSizes[i - 1]);
          if (previous_won) wanted.push_back(c);
          break;
        }
      }
    } else if (stage_ == 3) {
      const auto best = BestWhere([&](const Candidate& c) { return first_precision(c) && c.adaptive; });
      if (best && best->candidate.batch_size > 1) {
        for (int delay : {5, 20}) {
          Candidate c = best->candidate;
          c.adaptive = false;
          c.batch_delay_ms = delay;
          wanted.push_back(c);
        }
      }
    } else if (stage_ == 4) {
      const auto best = BestWhere(first_precision);
      for (size_t i = 1; best && i < precisions_.size(); ++i) {
        Candidate c = best->candidate;
        c.precision = precisions_[i];
        wanted.push_back(c);
      }
    } else if (stage_ == 5) {
      const auto base = BestWhere(first_precision);
      const auto best = Best();
      // The precisions as stage 4 measured them: on the first precision's best layout.
      const bool new_precision = base && best && best->candidate.precision != first &&
                                 best->candidate.workers == base->candidate.workers;
      for (auto [w, t] : Layouts(cores_)) {
        if (!new_precision) break;
        Candidate c = best->candidate;
        c.workers = w;
        c.threads = t;
        wanted.push_back(c);
      }
    }
    wanted.erase(std::remove_if(wanted.begin(), wanted.end(), [&](const Candidate& c) { return Tried(c); }),
                 wanted.end());
    if (!wanted.empty()) return wanted;
    ++stage_;
  }
  return {};
}

std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      if (j == i) continue;
      const bool no_worse = points[j].first >= points[i].first && points[j].second <= points[i].second;
      const bool better = points[j].first > points[i].first || points[j].second < points[i].second;
      dominated = no_worse && better;
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) { return points[a].first < points[b].first; });
  return front;
}

std::string Bottleneck(const Measurement& m) {
  const double handler = m.preprocess_ms + m.forward_ms + m.postprocess_ms;
  std::string why;
  if (handler <= 0 || m.inference_ms <= 0) {
    why = "unknown: the server reported no per-phase times";
  } else if (m.preprocess_ms >= m.forward_ms) {
    why = "preprocess-bound: decoding and preprocessing take " + FormatFixed(m.preprocess_ms, 2) + " ms of the handler's " +
          FormatFixed(handler, 2) + " ms per batch, the forward " + FormatFixed(m.forward_ms, 2) + " ms";
  } else if (m.inference_ms - handler > 0.3 * m.inference_ms) {
    why = "server-bound: of " + FormatFixed(m.inference_ms, 2) + " ms per batch at a worker, the handler takes " +
          FormatFixed(handler, 2) + " ms; the rest is the trip to the worker and back";
  } else {
    why = "engine-bound: the model's forward takes " + FormatFixed(m.forward_ms, 2) + " ms of " + FormatFixed(m.inference_ms, 2) +
          " ms per batch at a worker";
  }
  if (m.queue_ms > m.inference_ms && m.inference_ms > 0) {
    why += "; requests wait " + FormatFixed(m.queue_ms, 2) + " ms in the queue (every worker busy at this load)";
  }
  return why;
}

}  // namespace hearth::tune
