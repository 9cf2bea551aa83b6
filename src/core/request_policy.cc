#include "core/request_policy.h"

namespace hearth::core {

const std::string& DrainingMessage() {
  static const std::string message = "Hearth is shutting down; not accepting new requests";
  return message;
}

Status RequestPolicy::Admit(const std::string& model, const std::string& version) {
  metrics_.CountInferenceRequest(model, VersionLabel(version));
  if (Draining()) return Unavailable(DrainingMessage());
  return Status::Ok();
}

void RequestPolicy::RecordAnswer(const std::string& model, const std::string& version, const InferenceResponse& r) {
  if (!r.status.ok()) return;
  metrics_.AddLatency(model, VersionLabel(version), r.queue_time_us + r.inference_time_us, r.queue_time_us);
}

}  // namespace hearth::core
