#include "frontend/common/describe_json.h"

#include <ctime>

#include "common/strings.h"

namespace hearth::frontend {
namespace {

// TorchServe prints startTime in local time with a literal 'Z' (a quirk kept
// for compatibility).
std::string FormatStartTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm;
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

Json WorkerJson(const core::WorkerSnapshot& w) {
  Json j;
  j["id"] = std::to_string(w.id);
  j["startTime"] = FormatStartTime(w.start_time);
  j["status"] = core::WorkerStateName(w.state);
  j["memoryUsage"] = w.rss_bytes;
  j["pid"] = w.pid;
  j["gpu"] = false;
  j["gpuUsage"] = "N/A";
  j["intraOpThreads"] = w.intra_op_threads;
  j["restarts"] = w.restarts;
  j["cpus"] = w.cpu_list.empty() ? Json("") : Json(FormatCpuList(w.cpu_list));
  return j;
}

}  // namespace

Json DescribeJson(const core::ModelDescription& d) {
  const core::ModelSettings& s = d.settings;
  Json j;
  j["modelName"] = s.name;
  j["modelVersion"] = s.version;
  j["modelUrl"] = s.url;
  j["runtime"] = s.runtime;
  j["minWorkers"] = s.min_workers;
  j["maxWorkers"] = s.max_workers;
  j["batchSize"] = s.batch_size;
  j["maxBatchDelay"] = s.max_batch_delay_ms;
  j["responseTimeout"] = s.response_timeout_s;
  j["startupTimeout"] = s.startup_timeout_s;
  j["maxRetryTimeoutInSec"] = s.max_retry_timeout_s;
  j["clientTimeoutInMills"] = s.client_timeout_ms;
  j["parallelType"] = "";
  j["parallelLevel"] = 0;
  j["deviceType"] = "cpu";
  j["continuousBatching"] = false;
  j["useJobTicket"] = false;
  j["useVenv"] = false;
  j["stateful"] = false;
  j["sequenceMaxIdleMSec"] = 0;
  j["sequenceTimeoutMSec"] = 0;
  j["maxNumSequence"] = 1;
  j["maxSequenceJobQueueSize"] = 1;
  j["loadedAtStartup"] = s.loaded_at_startup;
  j["handler"] = s.handler;
  j["ipexEnable"] = s.ipex_enable;
  Json workers = Json::array();
  for (const auto& w : d.workers) workers.push_back(WorkerJson(w));
  j["workers"] = std::move(workers);  // TorchServe's order: workers before jobQueueStatus
  j["jobQueueStatus"] = {{"remainingCapacity", d.queue_remaining_capacity}, {"pendingRequests", d.queue_pending}};
  return j;
}

Json DescribeJson(const std::vector<core::ModelDescription>& descriptions) {
  Json out = Json::array();
  for (const auto& d : descriptions) out.push_back(DescribeJson(d));
  return out;
}

}  // namespace hearth::frontend
