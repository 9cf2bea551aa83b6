#pragma once
// hearth-tune's search, without any process or clock: the serving
// configurations it tries, how two measurements compare under an
// objective, which stage comes next, the Pareto front of throughput and
// p99, and what limits a configuration. Pure; unit-tested
// (tests/unit/tune_search_test.cc). tuner.h runs it on the real server.
//
// The search, in stages, each starting from the best configuration so far
// and stopping a direction when it stops improving (by more than
// kMinGain):
//   1. layout     workers x threads for each divisor of the core count,
//                 pinned by the CPU launcher (batch 1, the first precision);
//   2. batching   batch sizes 2, 4, 8, 16 with adaptive closing, until one
//                 is no better than the best;
//   3. closing    for a best batch above 1: TorchServe's rule with
//                 max_batch_delay 5 and 20 ms against adaptive closing;
//   4. precision  every other precision asked for (ipex, bf16, int8) on the
//                 best configuration; a precision whose answers agree with
//                 fp32 less than the threshold is rejected;
//   5. re-layout  the other layouts again with the winning precision, when
//                 it is not the first one.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace hearth::tune {

enum class Precision { kFp32, kIpex, kBf16, kInt8 };
const char* PrecisionName(Precision p);  // "fp32", "ipex", "bf16", "int8"
// "fp32,ipex,bf16,int8" -> the list; InvalidArgument naming an unknown one.
StatusOr<std::vector<Precision>> ParsePrecisions(const std::string& list);

struct Candidate {
  int workers = 1;
  int threads = 1;          // intra-op threads per worker (cores / workers, pinned)
  int batch_size = 1;
  bool adaptive = true;     // batch_closing=adaptive; else TorchServe's rule with batch_delay_ms
  int batch_delay_ms = 0;
  Precision precision = Precision::kFp32;

  std::string Key() const;    // stable: the state file's key
  std::string Label() const;  // "2x1 b4 adaptive fp32"
  Json ToJson() const;
  static StatusOr<Candidate> FromJson(const Json& j);
};

// What one measurement gave. Times in ms, memory in MB.
struct Measurement {
  bool ok = false;
  std::string error;          // why not ok
  double throughput = 0;      // req/s (closed loop at `concurrency`)
  int concurrency = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  double rss_mb = 0;          // server + workers
  double queue_ms = 0;        // the server's mean per request
  double inference_ms = 0;    // the worker round trip per batch
  double preprocess_ms = 0, forward_ms = 0, postprocess_ms = 0;  // handler phases per batch
  double batch_size_mean = 0;
  double agreement = -1;      // top-1 (or answer) agreement with fp32, 0..1; -1 not measured
  int agreement_inputs = 0;
  double slo_rate = -1;       // SLO objective: the highest open-loop rate meeting it (req/s), -1 not measured
  double slo_rate_p99_ms = 0;

  Json ToJson() const;
  static Measurement FromJson(const Json& j);
};

struct Objective {
  enum class Kind { kThroughput, kLatency, kSlo };
  Kind kind = Kind::kThroughput;
  double slo_p99_ms = 0;      // kSlo
  double min_agreement = 0.99;
};

// Gains smaller than this (2%) do not count as an improvement: the
// machines are shared and noisy.
inline constexpr double kMinGain = 0.02;

// Usable: no errors, agreement at or above the threshold (when measured),
// and for kSlo some rate met the SLO.
bool Admissible(const Measurement& m, const Objective& objective);
// Higher is better: throughput, -p50, or the rate meeting the SLO.
double Score(const Measurement& m, const Objective& objective);
// a is better than b by more than kMinGain (inadmissible is never better).
bool Better(const Measurement& a, const Measurement& b, const Objective& objective);

// (workers, threads) for each divisor of `cores`, fewest workers first.
std::vector<std::pair<int, int>> Layouts(int cores);
// Closed-loop concurrency that keeps every worker busy with full batches.
int ConcurrencyFor(const Candidate& c);

struct Tried {
  Candidate candidate;
  Measurement measurement;
};

// The search state: what was measured, in order. Next() gives the
// candidates of the next stage given everything so far (none left: the
// search is over). Deterministic.
class Planner {
 public:
  Planner(int cores, std::vector<Precision> precisions, Objective objective);
  // The next candidates to measure (never one already tried); empty when done.
  std::vector<Candidate> Next();
  void Record(const Candidate& c, const Measurement& m);
  bool Tried(const Candidate& c) const;
  // The best admissible configuration so far: in the order tried, a
  // configuration replaces the best only when it is Better (by more than
  // kMinGain), so noise does not pick a more elaborate configuration.
  std::optional<tune::Tried> Best() const;
  const std::vector<tune::Tried>& all() const { return tried_; }
  int stage() const { return stage_; }
  static const char* StageName(int stage);

 private:
  // The best admissible configuration among those `keep` accepts.
  std::optional<tune::Tried> BestWhere(const std::function<bool(const Candidate&)>& keep) const;
  int cores_;
  std::vector<Precision> precisions_;
  Objective objective_;
  std::vector<tune::Tried> tried_;
  int stage_ = 0;  // 0 not started, 1..5 as above, 6 done
};

// Indices of `points` (throughput, p99) not dominated by another (higher
// throughput and lower p99), by throughput.
std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& points);

// What limits a configuration, from the server's per-phase figures:
// "queueing", "preprocess-bound", "engine-bound" or "server-bound", with
// the figures that say so.
std::string Bottleneck(const Measurement& m);

}  // namespace hearth::tune
