// The OpenAPI 3.0.1 description served at OPTIONS / and /api-description.
#include "common/json.h"
#include "frontend/http/api_router.h"

namespace hearth::frontend {
namespace {

Json Param(const char* name, const char* in, const char* type, bool required, const char* description) {
  Json p;
  p["in"] = in;
  p["name"] = name;
  p["description"] = description;
  p["required"] = required;
  p["schema"] = {{"type", type}};
  return p;
}

Json Operation(const char* id, const char* summary, Json params = Json::array()) {
  Json op;
  op["description"] = summary;
  op["operationId"] = id;
  op["parameters"] = std::move(params);
  Json ok;
  ok["description"] = "OK";
  ok["content"]["application/json"]["schema"] = {{"type", "object"}};
  Json err;
  err["description"] = "Error: {\"code\", \"type\", \"message\"}";
  err["content"]["application/json"]["schema"]["type"] = "object";
  err["content"]["application/json"]["schema"]["required"] = {"code", "type", "message"};
  op["responses"]["200"] = ok;
  op["responses"]["400"] = err;
  op["responses"]["404"] = err;
  op["responses"]["500"] = err;
  op["responses"]["503"] = err;
  return op;
}

}  // namespace

std::string OpenApiDescription(unsigned roles) {
  Json doc;
  doc["openapi"] = "3.0.1";
  doc["info"] = {{"title", "Hearth APIs"},
                 {"description", "TorchServe-compatible inference, management and metrics APIs served by Hearth"},
                 {"version", HEARTH_VERSION}};
  Json paths = Json::object();
  paths["/"]["options"] = Operation("apiDescription", "Get the API description (this document).");
  paths["/api-description"]["get"] = Operation("apiDescription", "Get the API description (this document).");
  if (roles & kInferenceRole) {
    paths["/ping"]["get"] = Operation("ping", "Health: {\"status\": \"Healthy\"} or 500 {\"status\": \"Unhealthy\"}.");
    Json model = Param("model_name", "path", "string", true, "Name of the model.");
    Json version = Param("model_version", "path", "string", true, "Version of the model.");
    paths["/predictions/{model_name}"]["post"] =
        Operation("predictions", "Predict with the default version; body: raw bytes, multipart form or JSON.",
                  Json::array({model}));
    paths["/predictions/{model_name}/{model_version}"]["post"] =
        Operation("version_predictions", "Predict with a given model version.", Json::array({model, version}));
    paths["/explanations/{model_name}"]["post"] =
        Operation("explanations", "Explanations (not supported by the built-in handlers).", Json::array({model}));
    paths["/invocations"]["post"] = Operation(
        "invocations", "SageMaker-style prediction.",
        Json::array({Param("model_name", "query", "string", false, "Model; optional when only one is loaded.")}));
  }
  if (roles & kManagementRole) {
    Json model = Param("model_name", "path", "string", true, "Name of the model.");
    Json version = Param("model_version", "path", "string", true, "Version of the model.");
    paths["/models"]["get"] = Operation(
        "listModels", "List registered models (default versions).",
        Json::array({Param("limit", "query", "integer", false, "Page size, 1-100 (default 100)."),
                     Param("next_page_token", "query", "string", false, "Token from the previous page.")}));
    paths["/models"]["post"] = Operation(
        "registerModel", "Register a model archive from the model store (needs the model API).",
        Json::array({Param("url", "query", "string", true, "Archive name in the model store."),
                     Param("model_name", "query", "string", false, "Name (default: the manifest's)."),
                     Param("handler", "query", "string", false, "Handler (default: the manifest's)."),
                     Param("runtime", "query", "string", false, "python, python3 or LSP."),
                     Param("batch_size", "query", "integer", false, "Largest batch (default 1)."),
                     Param("max_batch_delay", "query", "integer", false, "Batching delay in ms (default 100)."),
                     Param("initial_workers", "query", "integer", false, "Workers to start (default 0)."),
                     Param("synchronous", "query", "boolean", false, "Wait for the workers (default true)."),
                     Param("response_timeout", "query", "integer", false, "Seconds per batch (default 120)."),
                     Param("startup_timeout", "query", "integer", false, "Seconds to load (default 120).")}));
    paths["/models/{model_name}"]["get"] = Operation("describeModel", "Describe the default version.", Json::array({model}));
    paths["/models/{model_name}"]["put"] = Operation(
        "setAutoScale", "Scale workers.",
        Json::array({model, Param("min_worker", "query", "integer", false, "Minimum workers (default 1)."),
                     Param("max_worker", "query", "integer", false, "Maximum workers (default min_worker)."),
                     Param("synchronous", "query", "boolean", false, "Wait for the workers (default false).")}));
    paths["/models/{model_name}"]["delete"] = Operation("unregisterModel", "Unregister the default version.",
                                                        Json::array({model}));
    paths["/models/{model_name}/{model_version}"]["get"] =
        Operation("describeModelVersion", "Describe a version ('all' for every version).", Json::array({model, version}));
    paths["/models/{model_name}/{model_version}"]["put"] =
        Operation("setAutoScaleVersion", "Scale the workers of a version.", Json::array({model, version}));
    paths["/models/{model_name}/{model_version}"]["delete"] =
        Operation("unregisterModelVersion", "Unregister a version.", Json::array({model, version}));
    paths["/models/{model_name}/{model_version}/set-default"]["put"] =
        Operation("setDefault", "Make a version the default.", Json::array({model, version}));
  }
  if (roles & kMetricsRole) {
    paths["/metrics"]["get"] = Operation(
        "metrics", "Prometheus metrics.",
        Json::array({Param("name[]", "query", "string", false, "Only these metric names.")}));
  }
  doc["paths"] = paths;
  return FrontendJson(doc);
}

}  // namespace hearth::frontend
