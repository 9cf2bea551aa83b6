#pragma once
// A gRPC load generator for KServe v2 ModelInfer: N client threads, each
// with its own channel (its own HTTP/2 connection), sending the same request
// with raw_input_contents. Closed loop: back to back. Open loop (rate_per_s
// > 0): requests arrive as a Poisson process at that rate and the N threads
// are the most that can be in flight; a request's latency counts from its
// arrival, so time spent waiting for a free thread shows as queueing. The request comes
// from a KServe v2 JSON (or binary-extension) body, so the HTTP and gRPC
// runs carry the same tensors. Results as the HTTP generator's: latencies,
// errors by gRPC code, this process's CPU time in the measured phase.

#include <string>

#include "common/status.h"
#include "tools/bench/load_generator.h"

namespace hearth::bench {

struct GrpcLoadSpec {
  std::string target = "127.0.0.1:7070";  // host:port
  std::string model;
  std::string version;                    // "" = default
  std::string v2_body;                    // a KServe v2 infer request (JSON)
  std::optional<size_t> v2_header_length; // when v2_body uses the binary extension
  std::string authorization;              // "Bearer <key>" or ""
  int concurrency = 1;
  int64_t requests = 1000;                // measured requests; 0 = run for duration_s
  double duration_s = 0;
  int64_t warmup_requests = 0;             // sent back to back before the measured ones
  double rate_per_s = 0;                   // > 0: open loop
};

// errors_by_status holds gRPC status codes.
StatusOr<LoadResult> RunGrpcLoad(const GrpcLoadSpec& spec, const ProgressFn& progress);

}  // namespace hearth::bench
