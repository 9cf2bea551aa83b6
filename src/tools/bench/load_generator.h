#pragma once
// An HTTP/1.1 load generator: N keep-alive connections on one thread.
//
// Closed loop (rate_per_s == 0): each connection sends its next request as
// soon as the previous answer arrives. Open loop (rate_per_s > 0): requests
// arrive at Poisson-distributed times whatever the server does; an arrival
// that finds every connection busy waits, and its latency counts from its
// arrival time, so queueing shows honestly (no coordinated omission).
// The first `warmup_requests` answers are not measured. Every answer's
// status is checked; anything but 2xx counts as an error.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::bench {

struct LoadSpec {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/";
  std::string method = "POST";
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  int concurrency = 1;
  int64_t requests = 1000;        // measured requests; 0 = run for duration_s
  double duration_s = 0;
  int64_t warmup_requests = 0;
  double rate_per_s = 0;          // > 0: open loop
  int timeout_s = 120;            // per request
};

struct LoadResult {
  int64_t ok = 0;
  std::map<int, int64_t> errors_by_status;  // HTTP status -> count (non-2xx)
  int64_t transport_errors = 0;             // connection failures, timeouts
  std::vector<double> latencies_ms;         // every measured answer (ok or not)
  double elapsed_s = 0;                     // measured phase only
  double cpu_user_s = 0, cpu_sys_s = 0;     // of this process, measured phase
  int64_t errors() const;
  double throughput() const { return elapsed_s > 0 ? static_cast<double>(ok + errors()) / elapsed_s : 0; }
};

// Progress: (answers so far, errors so far, seconds since start); called about twice a second.
using ProgressFn = std::function<void(int64_t done, int64_t errors, double seconds)>;

StatusOr<LoadResult> RunLoad(const LoadSpec& spec, const ProgressFn& progress);

// "http://host:port/path" -> spec host/port/path.
Status ParseTargetUrl(const std::string& url, LoadSpec& spec);

}  // namespace hearth::bench
