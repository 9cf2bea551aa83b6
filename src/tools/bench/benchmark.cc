#include "tools/bench/benchmark.h"
#include "tools/bench/quick_modes.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "archive/archive_reader.h"
#include "common/files.h"
#include "common/json.h"
#include "common/strings.h"
#include "config/java_properties.h"
#include "tools/bench/http_client.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/report.h"
#include "tools/bench/resource_sampler.h"
#include "tools/bench/server_process.h"

extern char** environ;

namespace hearth::bench {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string label;
  std::string kind;  // hearth | target | raw
  std::map<std::string, std::string> overrides;  // config.properties keys
  std::string model_url;
  std::string target;
  std::string metrics_url;
  pid_t pid = 0;
  int workers = 1, batch_size = 1, batch_delay_ms = 100;
  bool optimize = false;  // raw
  bool bf16 = false;      // raw, with optimize
};

// Keys an entry may set that are the tool's, not config.properties'.
StatusOr<Entry> ParseEntry(const std::string& text, const BenchOptions& o) {
  Entry e;
  e.label = text;
  e.kind = "hearth";
  e.model_url = o.model_url;
  e.workers = o.workers;
  e.batch_size = o.batch_size;
  e.batch_delay_ms = o.batch_delay_ms;
  for (const auto& part : Split(text, ',')) {
    std::string_view p = Trim(part);
    if (p.empty()) continue;
    if (p == "raw") {
      e.kind = "raw";
      continue;
    }
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("--compare entry \"" + text + "\": \"" + std::string(p) + "\" is not key=value");
    }
    std::string key(Trim(p.substr(0, eq))), value(Trim(p.substr(eq + 1)));
    auto number = [&](int& out) -> Status {
      auto v = ParseInt(value);
      if (!v || *v < 0) return InvalidArgument("--compare entry \"" + text + "\": " + key + " must be a number");
      out = *v;
      return Status::Ok();
    };
    if (key == "label") e.label = value;
    else if (key == "target") { e.kind = "target"; e.target = value; }
    else if (key == "metrics") e.metrics_url = value;
    else if (key == "pid") e.pid = ParseInt(value).value_or(0);
    else if (key == "url") e.model_url = value;
    else if (key == "workers") RETURN_IF_ERROR(number(e.workers));
    else if (key == "batch_size") RETURN_IF_ERROR(number(e.batch_size));
    else if (key == "batch_delay") RETURN_IF_ERROR(number(e.batch_delay_ms));
    else if (key == "optimize") e.optimize = ParseJavaBool(value);
    else if (key == "bf16") e.bf16 = ParseJavaBool(value);
    else e.overrides[key] = value;
  }
  if (e.kind == "hearth" && e.model_url.empty()) {
    return InvalidArgument("--compare entry \"" + text + "\" starts hearth but no --url (.mar) was given");
  }
  if (e.kind == "raw" && e.model_url.empty()) {
    return InvalidArgument("the raw baseline needs --url (the .mar whose model it runs)");
  }
  return e;
}

// A fresh directory under `parent`, removed with everything in it when
// this goes out of scope.
class ScopedTempDir {
 public:
  static StatusOr<ScopedTempDir> Make(const std::string& parent, const std::string& prefix) {
    std::string pattern = (fs::path(parent) / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) return Internal("cannot make a temporary directory under " + parent);
    return ScopedTempDir(pattern);
  }
  ScopedTempDir(ScopedTempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(ScopedTempDir&&) = delete;
  ~ScopedTempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit ScopedTempDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

std::string IsoNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string MachineDescription(int& cores) {
  cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (StartsWith(line, "model name")) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return std::string(Trim(line.substr(colon + 1)));
    }
  }
  return "unknown CPU";
}

// A hearth server the tool started; stopped (SIGTERM, then SIGKILL) on scope exit.
class Bench {
 public:
  explicit Bench(const BenchOptions& o) : o_(o) {}

  int Run() {
    std::vector<Entry> entries;
    std::vector<std::string> specs = o_.compare;
    if (specs.empty()) specs.push_back(o_.target.empty() ? "" : "target=" + o_.target);
    for (const auto& spec : specs) {
      auto e = ParseEntry(spec, o_);
      if (!e.ok()) return Fail(e.status(), 2);
      if (spec.empty()) e->label = "hearth";
      if (!o_.target.empty() && o_.compare.empty()) {
        e->label = "target";
        e->metrics_url = o_.metrics_url;
        e->pid = o_.pid;
      }
      entries.push_back(std::move(*e));
    }
    if (o_.raw_baseline) {
      auto e = ParseEntry("raw", o_);
      if (!e.ok()) return Fail(e.status(), 2);
      entries.push_back(std::move(*e));
    }
    if (!o_.input.empty()) {
      auto body = ReadFile(o_.input);
      if (!body.ok()) return Fail(body.status(), 2);
      body_ = std::move(*body);
    }
    report_.title = "hearth-bench: " + (o_.model_url.empty() ? o_.target : fs::path(o_.model_url).filename().string());
    report_.started_at = IsoNow();
    report_.handler_profiling = o_.handler_profiling;
    report_.machine = MachineDescription(report_.cores);
    sampler_.Start(0, std::chrono::milliseconds(250));
    for (int round = 1; round <= o_.rounds; ++round) {
      for (const auto& e : entries) {
        std::fprintf(stderr, "[round %d/%d] %s\n", round, o_.rounds, e.label.c_str());
        Status st = e.kind == "raw" ? RunRaw(e, round) : e.kind == "target" ? RunTarget(e, round) : RunHearth(e, round);
        if (!st.ok()) {
          sampler_.Stop();
          return Fail(st.WithPrefix(e.label), 1);
        }
      }
    }
    sampler_.Stop();
    report_.samples = sampler_.samples();
    report_.marks = sampler_.marks();
    if (o_.rate_per_s > 0) {
      report_.notes.push_back("Open loop: Poisson arrivals at " + std::to_string(o_.rate_per_s) +
                              " requests/s; latency counts from each request's arrival.");
    }
    report_.notes.push_back("Warm-up: " + std::to_string(o_.warmup) + " unmeasured requests before each level.");
    const auto rows = Aggregate(report_);
    std::printf("%s", TerminalTable(rows).c_str());
    for (std::string line : SummaryLines(rows)) {
      line.erase(std::remove(line.begin(), line.end(), '*'), line.end());  // markdown bold
      std::printf("%s\n", line.c_str());
    }
    if (!o_.report_location.empty()) {
      auto pngs = WriteReport(o_.report_location, report_);
      if (!pngs.ok()) return Fail(pngs.status(), 1);
      std::printf("report: %s/report.md, report.csv, report.json%s\n", o_.report_location.c_str(),
                  pngs->empty() ? " (no plots: gnuplot missing)" : ", plots");
    }
    int64_t errors = 0;
    for (const auto& r : rows) errors += r.errors;
    return errors > 0 ? 1 : 0;
  }

 private:
  int Fail(const Status& st, int code) {
    std::fprintf(stderr, "hearth-bench: %s\n", st.message().c_str());
    return code;
  }

  // hearth, hearth-bench-raw: beside this executable unless --bin-dir says otherwise.
  std::string Binary(const char* name) const {
    if (!o_.bin_dir.empty()) return (fs::path(o_.bin_dir) / name).string();
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return (self.parent_path() / name).string();
  }

  Status RunHearth(const Entry& e, int round) {
    ASSIGN_OR_RETURN(ScopedTempDir temp, ScopedTempDir::Make(o_.tmp_dir, "hearth-bench"));
    const fs::path& dir = temp.path();
    // Model store: a local .mar is served from its own directory.
    fs::path store = dir / "model_store";
    std::string url = e.model_url;
    if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
      fs::path mar = fs::absolute(url);
      if (!fs::exists(mar)) return NotFound("model archive " + mar.string() + " does not exist");
      store = mar.parent_path();
      url = mar.filename().string();
    } else {
      fs::create_directories(store);
    }
    // config.properties: the base file, the entry's overrides, then what the
    // tool needs (its own ports, prometheus metrics, no tokens).
    std::map<std::string, std::string> props;
    std::vector<std::string> order;
    if (!o_.config.empty()) {
      auto text = ReadFile(o_.config);
      if (!text.ok()) return text.status();
      for (const auto& p : config::ParseJavaProperties(*text)) {
        if (!props.count(p.key)) order.push_back(p.key);
        props[p.key] = p.value;
      }
    }
    for (const auto& [k, v] : e.overrides) {
      if (!props.count(k)) order.push_back(k);
      props[k] = v;
    }
    const int pi = FreePort(), pm = FreePort(), px = FreePort();
    std::map<std::string, std::string> forced = {
        {"inference_address", "http://127.0.0.1:" + std::to_string(pi)},
        {"management_address", "http://127.0.0.1:" + std::to_string(pm)},
        {"metrics_address", "http://127.0.0.1:" + std::to_string(px)},
        {"metrics_mode", "prometheus"},
        {"enable_model_api", "true"},
        {"disable_token_authorization", "true"},
        {"hearth_grpc_enable", "false"},
        {"load_models", ""},
        {"model_snapshot", ""}};
    for (const auto& [k, v] : forced) {
      if (!props.count(k)) order.push_back(k);
      props[k] = v;
    }
    std::string text = "# written by hearth-bench: " + e.label + "\n";
    for (const auto& k : order) {
      if (props[k].empty() && (k == "load_models" || k == "model_snapshot")) continue;
      text += config::EscapePropertyText(k, true) + "=" + config::EscapePropertyText(props[k], false) + "\n";
    }
    RETURN_IF_ERROR(WriteFileAtomic(dir / "config.properties", text));
    ServerProcess server;
    RETURN_IF_ERROR(server.Start(Binary("hearth"), dir, store, dir / "config.properties", pi));
    sampler_.SetServerPid(server.pid());
    const std::string mgmt = "http://127.0.0.1:" + std::to_string(pm);
    auto reg = HttpCall("POST", mgmt + "/models?url=" + url + "&model_name=" + o_.model_name + "&initial_workers=" +
                                    std::to_string(e.workers) + "&batch_size=" + std::to_string(e.batch_size) +
                                    "&max_batch_delay=" + std::to_string(e.batch_delay_ms) + "&synchronous=true",
                        "", 600);
    if (!reg.ok()) return reg.status();
    if (reg->status != 200) {
      return Internal("registering " + url + " answered " + std::to_string(reg->status) + ": " + reg->body +
                      "\nserver output:\n" + server.Tail());
    }
    std::string path = o_.api == "v2" ? "/v2/models/" + o_.model_name + "/infer" : "/predictions/" + o_.model_name;
    if (!o_.inference_path.empty()) path = o_.inference_path.front() == '/' ? o_.inference_path : "/" + o_.inference_path;
    Status st = RunLevels(e, round, "http://127.0.0.1:" + std::to_string(pi) + path,
                          "http://127.0.0.1:" + std::to_string(px) + "/metrics");
    sampler_.SetServerPid(0);
    server.Stop();
    return st;
  }

  Status RunTarget(const Entry& e, int round) {
    sampler_.SetServerPid(e.pid);
    Status st = RunLevels(e, round, e.target, e.metrics_url);
    sampler_.SetServerPid(0);
    return st;
  }

  Status RunLevels(const Entry& e, int round, const std::string& url, const std::string& metrics_url) {
    LoadSpec spec;
    RETURN_IF_ERROR(ParseTargetUrl(url, spec));
    spec.body = body_;
    spec.content_type = o_.content_type.empty() && !o_.input.empty() ? GuessContentType(o_.input) : o_.content_type;
    for (const auto& h : o_.headers) {
      size_t colon = h.find(':');
      if (colon == std::string::npos) return InvalidArgument("bad --header \"" + h + "\" (want \"Name: value\")");
      spec.headers.emplace_back(h.substr(0, colon), std::string(Trim(h.substr(colon + 1))));
    }
    spec.requests = o_.requests;
    spec.duration_s = o_.duration_s;
    spec.rate_per_s = o_.rate_per_s;
    spec.warmup_requests = 0;
    for (int c : o_.concurrency) {
      spec.concurrency = c;
      // Warm-up first, on its own, so that the server's counters and the
      // resource samples of the level cover measured requests only.
      if (o_.warmup > 0) {
        LoadSpec warm = spec;
        warm.requests = o_.warmup;
        warm.duration_s = 0;
        warm.rate_per_s = 0;
        auto w = RunLoad(warm, nullptr);
        if (!w.ok()) return w.status().WithPrefix("warm-up");
      }
      std::vector<PromSample> before;
      if (!metrics_url.empty()) {
        auto m = HttpCall("GET", metrics_url, "", 10);
        if (m.ok() && m->status == 200) before = ParsePrometheus(m->body);
      }
      sampler_.Mark(e.label.substr(0, 24) + " c=" + std::to_string(c));
      const double t0 = sampler_.Now();
      int64_t last_done = 0;
      double last_s = 0;
      const bool tty = isatty(2);
      auto result = RunLoad(spec, [&](int64_t done, int64_t errors, double s) {
        if (!tty) return;
        const double rate = s > last_s ? static_cast<double>(done - last_done) / (s - last_s) : 0;
        last_done = done;
        last_s = s;
        std::fprintf(stderr, "\r  c=%-4d %8lld answers %6lld errors %7.1f s %9.1f req/s   ", c, (long long)done,
                     (long long)errors, s, rate);
      });
      if (tty) std::fprintf(stderr, "\r%90s\r", "");
      if (!result.ok()) return result.status();
      const double t1 = sampler_.Now();
      RunRecord r;
      r.label = e.label;
      r.kind = e.kind;
      r.round = round;
      r.concurrency = c;
      r.rate_per_s = o_.rate_per_s;
      r.ok = result->ok;
      r.errors = result->errors();
      r.elapsed_s = result->elapsed_s;
      r.throughput = result->throughput();
      r.latencies_ms = result->latencies_ms;
      r.latency = Summarize(result->latencies_ms);
      const double n = static_cast<double>(r.ok + r.errors);
      r.client_cpu_us_per_request = n > 0 ? (result->cpu_user_s + result->cpu_sys_s) * 1e6 / n : 0;
      if (!before.empty()) {
        auto m = HttpCall("GET", metrics_url, "", 10);
        if (m.ok() && m->status == 200) {
          r.split = SplitFromScrapes(before, ParsePrometheus(m->body), e.kind == "hearth" ? o_.model_name : "");
        }
      }
      // A short level may fall between two samples: wait for one while the server still runs.
      if (sampler_.Between(t0, t1).empty()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto samples = sampler_.Between(t0, sampler_.Now());
      for (const auto& s : samples) {
        r.server_cpu_pct += s.server_cpu_pct / static_cast<double>(samples.size());
        r.workers_cpu_pct += s.workers_cpu_pct / static_cast<double>(samples.size());
        r.server_rss_mb_max = std::max(r.server_rss_mb_max, s.server_rss_mb);
        r.workers_rss_mb_max = std::max(r.workers_rss_mb_max, s.workers_rss_mb);
        double busy = 0;
        for (double c : s.core_busy_pct) busy += c / static_cast<double>(s.core_busy_pct.size());
        r.host_cpu_pct += busy / static_cast<double>(samples.size());
        r.host_memory_pct += s.host_memory_pct / static_cast<double>(samples.size());
      }
      r.t_begin_s = t0;
      r.t_end_s = t1;
      r.batch_size = e.batch_size;
      r.batch_delay_ms = e.batch_delay_ms;
      r.workers = e.workers;
      r.model = e.kind == "hearth" ? e.model_url : url;
      r.input = o_.input;
      std::fprintf(stderr, "  c=%-4d %9.1f req/s  p50 %.2f ms  p99 %.2f ms  errors %lld\n", c, r.throughput,
                   r.latency.p50_ms, r.latency.p99_ms, (long long)r.errors);
      report_.runs.push_back(std::move(r));
    }
    return Status::Ok();
  }

  Status RunRaw(const Entry& e, int round) {
    ASSIGN_OR_RETURN(ScopedTempDir temp, ScopedTempDir::Make(o_.tmp_dir, "hearth-bench-raw"));
    const fs::path& dir = temp.path();
    archive::ExtractOptions eo;
    eo.extraction_root = dir;
    auto opened = archive::OpenModelArchive(e.model_url, eo);
    if (!opened.ok()) return opened.status();
    if (!opened->manifest || opened->manifest->serialized_file.empty()) {
      return InvalidArgument(e.model_url + " names no serializedFile");
    }
    const int threads = o_.raw_threads > 0 ? o_.raw_threads : report_.cores;
    std::vector<std::string> args = {Binary("hearth-bench-raw"),
                                     (opened->model_dir / opened->manifest->serialized_file).string(),
                                     "--threads", std::to_string(threads), "--iterations",
                                     std::to_string(o_.raw_iterations), "--json"};
    if (e.optimize) args.push_back("--optimize");
    if (e.bf16) args.push_back("--bf16");
    const std::string type = o_.content_type.empty() ? GuessContentType(o_.input) : o_.content_type;
    const bool image = StartsWith(type, "image/");
    if (image) args.insert(args.end(), {"--input", o_.input});
    if (!o_.raw_shape.empty()) {
      std::string shape;
      for (size_t i = 0; i < o_.raw_shape.size(); ++i) shape += (i ? "," : "") + std::to_string(o_.raw_shape[i]);
      args.insert(args.end(), {"--shape", shape});
    }
    sampler_.Mark("raw");
    const double t0 = sampler_.Now();
    std::fprintf(stderr, "  raw libtorch loop, %d threads, %d iterations%s\n", threads, o_.raw_iterations,
                 image ? " (with image preprocessing)" : "");
    ASSIGN_OR_RETURN(std::string out, RunAndCapture(args));
    Json result;
    try {
      result = Json::parse(out);
    } catch (const std::exception& ex) {
      return Internal(std::string("hearth-bench-raw printed no JSON: ") + ex.what());
    }
    RunRecord r;
    r.label = e.label;
    r.kind = "raw";
    r.round = round;
    r.latencies_ms = result.value("latencies_ms", std::vector<double>{});
    r.ok = static_cast<int64_t>(r.latencies_ms.size());
    r.elapsed_s = result.value("seconds", 0.0);
    r.throughput = result.value("items_per_s", 0.0);
    r.latency = Summarize(r.latencies_ms);
    r.t_begin_s = t0;
    r.t_end_s = sampler_.Now();
    r.model = e.model_url;
    r.input = o_.input;
    r.workers = 1;
    std::fprintf(stderr, "  raw %9.1f items/s  p50 %.2f ms\n", r.throughput, r.latency.p50_ms);
    report_.runs.push_back(std::move(r));
    return Status::Ok();
  }

  const BenchOptions& o_;
  std::string body_;
  Report report_;
  ResourceSampler sampler_;
};

}  // namespace

int RunBenchmark(const BenchOptions& options) { return Bench(options).Run(); }

}  // namespace hearth::bench
