#include "tools/bench/quick_modes.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/files.h"
#include "common/strings.h"
#include "imaging/image.h"
#include "imaging/transforms.h"
#include "text/wordpiece.h"
#include "tools/bench/grpc_load.h"
#include "tools/bench/load_generator.h"

namespace hearth::bench {

std::string GuessContentType(const std::string& path) {
  std::string p = ::hearth::ToLower(path);
  if (::hearth::EndsWith(p, ".jpg") || ::hearth::EndsWith(p, ".jpeg")) return "image/jpeg";
  if (::hearth::EndsWith(p, ".png")) return "image/png";
  if (::hearth::EndsWith(p, ".json")) return "application/json";
  if (::hearth::EndsWith(p, ".txt")) return "text/plain";
  if (::hearth::EndsWith(p, ".npy")) return "application/x-npy";
  return "application/octet-stream";
}

Json LatencySummaryJson(const LatencySummary& s) {
  return Json{{"count", s.count},   {"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms},
              {"p99_ms", s.p99_ms}, {"p999_ms", s.p999_ms}, {"max_ms", s.max_ms}};
}

int RunTarget(const QuickRunOptions& o) {
  LoadSpec spec;
  GrpcLoadSpec grpc_spec;
  if (!o.grpc) {
    if (auto st = ParseTargetUrl(o.target, spec); !st.ok()) {
      std::fprintf(stderr, "hearth-bench: %s\n", st.message().c_str());
      return 2;
    }
  } else if (o.model.empty() || o.input.empty()) {
    std::fprintf(stderr, "hearth-bench: --grpc needs --model and --input (a KServe v2 JSON infer request)\n");
    return 2;
  }
  std::string content_type = o.content_type;
  if (!o.input.empty()) {
    auto body = ::hearth::ReadFile(o.input);
    if (!body.ok()) {
      std::fprintf(stderr, "hearth-bench: %s\n", body.status().message().c_str());
      return 2;
    }
    spec.body = *body;
    grpc_spec.v2_body = *body;
    if (content_type.empty()) content_type = GuessContentType(o.input);
  }
  for (const auto& h : o.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "hearth-bench: bad --header \"%s\" (want \"Name: value\")\n", h.c_str());
      return 2;
    }
    std::string name = h.substr(0, colon), value(::hearth::Trim(h.substr(colon + 1)));
    if (::hearth::EqualsIgnoreCase(name, "inference-header-content-length")) {
      grpc_spec.v2_header_length = ::hearth::ParseInt64(value).value_or(0);
    }
    if (::hearth::EqualsIgnoreCase(name, "authorization")) grpc_spec.authorization = value;
    spec.headers.emplace_back(std::move(name), std::move(value));
  }
  spec.content_type = content_type;
  spec.method = o.method;
  spec.requests = grpc_spec.requests = o.requests;
  spec.duration_s = grpc_spec.duration_s = o.duration;
  spec.warmup_requests = grpc_spec.warmup_requests = o.warmup;
  spec.rate_per_s = grpc_spec.rate_per_s = o.rate;
  grpc_spec.target = o.target;
  grpc_spec.model = o.model;
  Json runs = Json::array();
  if (!o.json) {
    std::printf("%-11s %10s %8s %9s %9s %9s %9s %9s %12s\n", "concurrency", "req/s", "errors", "mean_ms", "p50_ms",
                "p90_ms", "p99_ms", "max_ms", "cpu_us/req");
  }
  for (int c : o.levels) {
    spec.concurrency = grpc_spec.concurrency = c;
    auto progress = [&](int64_t done, int64_t errors, double s) {
      if (!o.json) std::fprintf(stderr, "\r  c=%d: %lld answers, %lld errors, %.1f s   ", c, (long long)done,
                                (long long)errors, s);
    };
    auto result = o.grpc ? RunGrpcLoad(grpc_spec, progress) : RunLoad(spec, progress);
    if (!o.json) std::fprintf(stderr, "\r%60s\r", "");
    if (!result.ok()) {
      std::fprintf(stderr, "hearth-bench: %s\n", result.status().message().c_str());
      return 1;
    }
    auto s = Summarize(result->latencies_ms);
    const double n = static_cast<double>(result->ok + result->errors());
    const double cpu_us = n > 0 ? (result->cpu_user_s + result->cpu_sys_s) * 1e6 / n : 0;
    if (o.json) {
      runs.push_back(Json{{"concurrency", c}, {"throughput", result->throughput()}, {"ok", result->ok},
                          {"errors", result->errors()}, {"elapsed_s", result->elapsed_s},
                          {"cpu_us_per_request", cpu_us}, {"latency", LatencySummaryJson(s)}});
    } else {
      std::printf("%-11d %10.1f %8lld %9.3f %9.3f %9.3f %9.3f %9.3f %12.1f\n", c, result->throughput(),
                  (long long)result->errors(), s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, cpu_us);
    }
  }
  if (o.json) std::cout << runs.dump(2) << std::endl;
  return 0;
}

int RunPreprocessTiming(const PreprocessTiming& timing) {
  const std::string& vocab = timing.vocab;
  const std::string& input = timing.input;
  const int iterations = timing.iterations;
  auto data = ::hearth::ReadFile(input);
  if (!data.ok()) {
    std::fprintf(stderr, "hearth-bench: %s\n", data.status().message().c_str());
    return 2;
  }
  double total_us = 0;
  std::string what;
  if (!vocab.empty()) {
    ::hearth::text::TokenizerOptions o;
    o.max_length = 512;
    auto t = ::hearth::text::WordPieceTokenizer::FromVocabFile(vocab, o);
    if (!t.ok()) {
      std::fprintf(stderr, "hearth-bench: %s\n", t.status().message().c_str());
      return 2;
    }
    size_t tokens = t->Encode(*data).input_ids.size();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) (void)t->Encode(*data);
    total_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    what = "tokenize " + std::to_string(tokens) + " tokens";
  } else {
    auto img = ::hearth::imaging::DecodeImage(*data, {});
    if (!img.ok()) {
      std::fprintf(stderr, "hearth-bench: %s\n", img.status().message().c_str());
      return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      auto decoded = ::hearth::imaging::DecodeImage(*data, {});
      (void)::hearth::imaging::ImageNetPreprocess(*decoded);
    }
    total_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    what = "decode + resize + crop + normalize of a " + std::to_string(img->width) + "x" + std::to_string(img->height) +
           " image";
  }
  std::printf("%s: %.1f us per call (%d calls)\n", what.c_str(), total_us / iterations, iterations);
  return 0;
}


}  // namespace hearth::bench
