#pragma once
// Transport-free inference request/response types: what the HTTP (and
// later gRPC) frontends hand to the core and get back.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace hearth::core {

using Headers = std::vector<std::pair<std::string, std::string>>;  // lower-case names

struct InferenceInput {
  std::string name;          // "body", "data", or a form field name
  std::string content_type;  // without parameters; "" when none
  std::string value;
};

struct InferenceResponse {
  Status status;             // not OK -> the frontend writes an error body
  std::string body;
  std::string content_type;  // "" -> none
  Headers headers;
  long long queue_time_us = 0;      // arrival -> taken into a batch
  long long inference_time_us = 0;  // batch sent -> result received
  // An HTTP status the handler chose (0: 200 for success, the status
  // table's for errors); a Python handler's set_response_status or
  // PredictionException(message, code).
  int http_status = 0;
};

// Streamed intermediate answers of one request (a handler's
// send_intermediate_predict_response), in order, before its final answer.
// Called on the worker's strand: it must only hand the part on (post it).
using PartialCallback = std::function<void(InferenceResponse)>;

struct InferenceRequest {
  std::string request_id;
  std::vector<InferenceInput> inputs;
  Headers headers;
  // Where a transport streams (HTTP chunked, gRPC StreamPredictions); empty:
  // intermediate parts are joined ahead of the final answer's body.
  PartialCallback on_partial;
};


// Called exactly once per request, from any thread; must not block.
using ResponseCallback = std::function<void(InferenceResponse)>;

// One queued request.
struct Job {
  InferenceRequest request;
  ResponseCallback done;
  SteadyTime arrival;
  SteadyTime dequeued;
  std::string joined_parts;  // intermediate bodies kept for a request without on_partial

  void Fail(const Status& status) {
    InferenceResponse r;
    r.status = status;
    done(std::move(r));
  }
};
using JobPtr = std::unique_ptr<Job>;

}  // namespace hearth::core
