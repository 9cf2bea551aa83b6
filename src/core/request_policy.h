#pragma once
// The rules every transport applies to a prediction, in one place, so that
// HTTP (/predictions, KServe v1/v2) and gRPC (TorchServe's and KServe's
// services) agree:
//   1. Admit(): +1 ts_inference_requests_total for the model and version
//      label ("default" when the request named none), before queueing and
//      refusals included (TorchServe's rule); then, once draining, refuse
//      with 503 and DrainingMessage().
//   2. RecordAnswer(): an answered prediction adds TorchServe's latency
//      counters (handler-produced answers only).
// Draining starts with BeginDrain() (SIGTERM) and never ends; health checks
// (/ping, /v2/health/ready, gRPC health) read Draining().
//
// Scale requests are validated by ModelManager::Scale, for every transport.
//
// Thread-safe; never blocks.

#include <atomic>
#include <string>

#include "common/status.h"
#include "core/inference_types.h"
#include "core/metrics.h"

namespace hearth::core {

// "Hearth is shutting down; not accepting new requests"
const std::string& DrainingMessage();
// A URL's version, or "default" when it named none (TorchServe's label).
inline std::string VersionLabel(const std::string& version) { return version.empty() ? "default" : version; }

class RequestPolicy {
 public:
  // `metrics` outlives the policy.
  explicit RequestPolicy(Metrics& metrics) : metrics_(metrics) {}

  void BeginDrain() { draining_.store(true, std::memory_order_release); }
  bool Draining() const { return draining_.load(std::memory_order_acquire); }

  // Counts the prediction; Unavailable(DrainingMessage()) once draining.
  Status Admit(const std::string& model, const std::string& version);
  // An answer came back: OK answers add to the latency counters.
  void RecordAnswer(const std::string& model, const std::string& version, const InferenceResponse& response);

 private:
  Metrics& metrics_;
  std::atomic<bool> draining_{false};
};

}  // namespace hearth::core
