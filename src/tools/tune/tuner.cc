#include "tools/tune/tuner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "archive/archive_reader.h"
#include "archive/archive_writer.h"
#include "common/files.h"
#include "common/json.h"
#include "common/strings.h"
#include "tools/bench/http_client.h"
#include "tools/bench/server_process.h"
#include "tools/tune/tune_outputs.h"

extern char** environ;

namespace hearth::tune {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Runs `args` with stdout and stderr into `log`; returns the exit code (-1: not started).
int RunLogged(std::vector<std::string> args, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The config.properties keys a precision needs (beyond the registration).
std::vector<std::pair<std::string, std::string>> PrecisionKeys(Precision p) {
  switch (p) {
    case Precision::kFp32: return {};
    case Precision::kIpex: return {{"ipex_enable", "true"}};
    case Precision::kBf16: return {{"ipex_enable", "true"}, {"ipex_dtype", "bfloat16"}};
    case Precision::kInt8: return {{"ipex_enable", "true"}};
  }
  return {};
}

// Two answers to the same input: the same top class (JSON object of scores,
// or the largest element of a numeric array), numbers within 2%, or the
// same text.
bool SameAnswer(const std::string& a, const std::string& b) {
  const Json ja = Json::parse(a, nullptr, false), jb = Json::parse(b, nullptr, false);
  if (ja.is_discarded() || jb.is_discarded()) return a == b;
  auto top = [](const Json& j) -> std::string {
    if (j.is_object()) {
      std::string best;
      double score = -1e300;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it->is_number() && it->get<double>() > score) {
          score = it->get<double>();
          best = it.key();
        }
      }
      return best;
    }
    std::vector<double> flat;
    std::vector<const Json*> stack = {&j};
    while (!stack.empty()) {
      const Json* n = stack.back();
      stack.pop_back();
      if (n->is_array()) {
        for (auto it = n->rbegin(); it != n->rend(); ++it) stack.push_back(&*it);
      } else if (n->is_number()) {
        flat.push_back(n->get<double>());
      }
    }
    if (flat.size() <= 1) return "";
    return std::to_string(std::max_element(flat.begin(), flat.end()) - flat.begin());
  };
  const std::string ta = top(ja), tb = top(jb);
  if (!ta.empty() || !tb.empty()) return ta == tb;
  if (ja.is_number() && jb.is_number()) {
    const double x = ja.get<double>(), y = jb.get<double>();
    return std::abs(x - y) <= 0.02 * std::max(1e-6, std::abs(x));
  }
  return ja == jb;
}

class Tuner {
 public:
  explicit Tuner(const TuneOptions& o) : o_(o), started_(Clock::now()) {}

  int Run() {
    if (Status st = Prepare(); !st.ok()) {
      std::fprintf(stderr, "hearth-tune: %s\n", st.message().c_str());
      return 2;
    }
    Planner planner(cores_, precisions_, o_.objective);
    LoadState(planner);
    const double budget_s = o_.budget_minutes * 60;
    const double confirm_s = o_.confirm ? 3 * 2 * (o_.seconds_per_candidate + 4) : 0;
    bool out_of_budget = false;
    for (auto batch = planner.Next(); !batch.empty(); batch = planner.Next()) {
      for (const Candidate& c : batch) {
        if (Elapsed() + o_.seconds_per_candidate + 4 + confirm_s > budget_s) {
          out_of_budget = true;
          break;
        }
        Measurement m = Measure(c);
        planner.Record(c, m);
        SaveState(planner);
        Progress(planner, c, m);
      }
      if (out_of_budget) break;
    }
    std::printf("\n");
    if (out_of_budget) std::printf("budget of %.1f min reached: the search stops here\n", o_.budget_minutes);
    auto best = planner.Best();
    if (!best) {
      std::fprintf(stderr, "hearth-tune: no configuration was usable%s; see %s\n",
                   o_.objective.kind == Objective::Kind::kSlo
                       ? (" (none met p99 <= " + FormatFixed(o_.objective.slo_p99_ms, 1) + " ms; the closest are in the "
                          "report)").c_str()
                       : "",
                   (out_ / "report.md").c_str());
      if (Status st = WriteOutputs(planner, nullptr, {}, out_of_budget); !st.ok()) {
        std::fprintf(stderr, "hearth-tune: %s\n", st.message().c_str());
      }
      return 1;
    }
    Confirmation confirmation;
    if (o_.confirm) confirmation = Confirm(best->candidate);
    Status st = WriteOutputs(planner, &*best, confirmation, out_of_budget);
    if (!st.ok()) {
      std::fprintf(stderr, "hearth-tune: %s\n", st.message().c_str());
      return 1;
    }
    std::printf("winner: %s (%s)\nwrote %s, %s and %s\n", best->candidate.Label().c_str(),
                Summary(best->measurement).c_str(), (out_ / "config.properties").c_str(),
                (out_ / "model-config.yaml").c_str(), (out_ / "report.md").c_str());
    return 0;
  }

 private:
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  std::string Bin(const char* name) const { return (fs::path(o_.bin_dir) / name).string(); }

  Status Prepare() {
    out_ = fs::absolute(o_.out_dir);
    work_ = out_ / "work";
    std::error_code ec;
    fs::create_directories(work_ / "runs", ec);
    if (ec) return InvalidArgument("--out " + out_.string() + ": " + ec.message());
    mar_ = fs::absolute(fs::path(o_.model_store) / o_.mar);
    if (!fs::is_regular_file(mar_, ec)) return NotFound("--models: " + mar_.string() + " is not a file");
    if (!fs::is_regular_file(o_.input, ec)) return NotFound("--input: " + o_.input + " is not a file");
    input_ = fs::absolute(o_.input);
    cores_ = o_.cores > 0 ? o_.cores : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    archive::ExtractOptions extract;
    extract.extraction_root = work_ / "extracted";
    fs::remove_all(extract.extraction_root, ec);
    ASSIGN_OR_RETURN(opened_, archive::OpenModelArchive(mar_, extract));
    if (!opened_.manifest) return InvalidArgument(mar_.string() + " has no MAR-INF/MANIFEST.json");
    version_ = opened_.manifest->model_version.empty() ? "1.0" : opened_.manifest->model_version;
    for (Precision p : o_.precisions) {
      if (p != Precision::kInt8) {
        precisions_.push_back(p);
        archives_[p] = mar_;
        continue;
      }
      auto int8 = MakeInt8Archive();
      if (int8.ok()) {
        precisions_.push_back(p);
        archives_[p] = *int8;
      } else {
        notes_.push_back("int8 left out: " + int8.status().message());
        std::printf("int8 left out: %s\n", int8.status().message().c_str());
      }
    }
    if (precisions_.empty()) return InvalidArgument("no precision left to try");
    return Status::Ok();
  }

  // hearth-quantize on the archive's TorchScript file, repacked as <name>_int8.mar.
  StatusOr<fs::path> MakeInt8Archive() {
    if (o_.calibration.empty()) return InvalidArgument("it needs calibration data (--calibration DIR)");
    const archive::Manifest& m = *opened_.manifest;
    if (!m.model_file.empty()) return InvalidArgument("the archive is an eager model (modelFile " + m.model_file + ")");
    if (m.serialized_file.empty()) return InvalidArgument("the archive has no serializedFile");
    const fs::path dir = work_ / "int8";
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path quantized = dir / fs::path(m.serialized_file).filename();
    if (!fs::exists(quantized, ec)) {
      std::printf("quantizing %s with %s ...\n", m.serialized_file.c_str(), o_.calibration.c_str());
      std::fflush(stdout);
      const int rc = RunLogged({Bin("hearth-quantize"), "--model", (opened_.model_dir / m.serialized_file).string(),
                                "--calibration-data", o_.calibration, "--output", quantized.string(), "--threads",
                                std::to_string(cores_)},
                               dir / "quantize.log");
      if (rc != 0) return Internal("hearth-quantize failed; see " + (dir / "quantize.log").string());
    }
    std::vector<archive::ArchiveEntry> entries;
    for (auto it = fs::recursive_directory_iterator(opened_.model_dir); it != fs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file()) continue;
      const std::string rel = fs::relative(it->path(), opened_.model_dir).generic_string();
      entries.push_back({rel, rel == m.serialized_file ? quantized : it->path(), ""});
    }
    const fs::path out = dir / (o_.model_name + "_int8.mar");
    archive::WriteOptions write;
    write.overwrite = true;
    RETURN_IF_ERROR(archive::WriteModelArchive(entries, out, write));
    return out;
  }

  // hearth-bench's --compare entry for a candidate: its workers, batching,
  // pinning and precision keys.
  static std::string CompareEntry(const Candidate& c, const std::string& label) {
    std::string entry = "workers=" + std::to_string(c.workers) + ",batch_size=" + std::to_string(c.batch_size) +
                        ",batch_delay=" + std::to_string(c.adaptive ? 0 : c.batch_delay_ms) +
                        ",cpu_launcher_enable=true,batch_closing=" + (c.adaptive ? "adaptive" : "delay") +
                        ",label=" + label;
    for (const auto& [k, v] : PrecisionKeys(c.precision)) entry += "," + k + "=" + v;
    return entry;
  }

  // The hearth-bench command measuring `entries` (hearth started for each,
  // with `url` unless an entry names its own) at `concurrency`, report in `dir`.
  std::vector<std::string> BenchCommand(const fs::path& url, int concurrency, int rounds, const fs::path& dir,
                                        const std::vector<std::string>& entries) const {
    std::vector<std::string> args = {Bin("hearth-bench"), "--url", url.string(), "--model-name", o_.model_name,
                                     "-i", input_.string(), "-c", std::to_string(concurrency), "--duration",
                                     FormatFixed(o_.seconds_per_candidate, 1), "--warmup",
                                     std::to_string(std::max(20, 5 * concurrency)), "--rounds", std::to_string(rounds),
                                     "--report-location", dir.string(), "--tmp-dir", work_.string(), "--compare"};
    args.insert(args.end(), entries.begin(), entries.end());
    if (!o_.content_type.empty()) args.insert(args.end(), {"--content-type", o_.content_type});
    if (!o_.base_config.empty()) args.insert(args.end(), {"--config", o_.base_config});
    return args;
  }

  // One hearth-bench run of a candidate; the report's first row.
  StatusOr<Measurement> Bench(const Candidate& c, int concurrency, double rate, const std::string& tag) {
    const fs::path dir = work_ / "runs" / tag;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    std::vector<std::string> args =
        BenchCommand(archives_.at(c.precision), concurrency, 1, dir, {CompareEntry(c, c.Label())});
    if (rate > 0) args.insert(args.end(), {"--rate", FormatFixed(rate, 2)});
    const int rc = RunLogged(args, dir / "bench.log");
    auto text = ReadFile(dir / "report.json");
    if (rc != 0 || !text.ok()) return Internal("hearth-bench failed (exit " + std::to_string(rc) + "); see " +
                                               (dir / "bench.log").string());
    Json report = Json::parse(*text, nullptr, false);
    if (report.is_discarded() || !report.contains("rows") || report["rows"].empty()) {
      return Internal("hearth-bench wrote no result; see " + (dir / "bench.log").string());
    }
    const Json& row = report["rows"][0];
    Measurement m;
    m.ok = true;
    m.concurrency = concurrency;
    m.throughput = row.value("throughput", 0.0);
    m.errors = row.value("errors", int64_t{0});
    m.p50_ms = row["latency_ms"].value("p50", 0.0);
    m.p99_ms = row["latency_ms"].value("p99", 0.0);
    m.rss_mb = row.value("server_rss_mb_max", 0.0) + row.value("workers_rss_mb_max", 0.0);
    if (row.contains("server_split")) {
      const Json& s = row["server_split"];
      m.queue_ms = s.contains("queue_ms") ? s["queue_ms"].value("mean", 0.0) : 0;
      m.inference_ms = s.contains("inference_ms") ? s["inference_ms"].value("mean", 0.0) : 0;
      m.batch_size_mean = s.value("batch_size_mean", 0.0);
      if (s.contains("handler_phases_ms_mean")) {
        const Json& ph = s["handler_phases_ms_mean"];
        m.preprocess_ms = ph.value("preprocess", 0.0);
        m.forward_ms = ph.value("forward", 0.0);
        m.postprocess_ms = ph.value("postprocess", 0.0);
      }
    }
    if (m.errors > 0) m.error = std::to_string(m.errors) + " requests failed; see " + (dir / "bench.log").string();
    return m;
  }

  Measurement Measure(const Candidate& c) {
    const bool latency = o_.objective.kind == Objective::Kind::kLatency;
    const int concurrency = latency ? 1 : ConcurrencyFor(c);
    auto closed = Bench(c, concurrency, 0, Tag(c, "closed"));
    if (!closed.ok()) {
      Measurement failed;
      failed.error = closed.status().message();
      return failed;
    }
    Measurement m = *closed;
    if (o_.objective.kind == Objective::Kind::kSlo && m.ok && m.throughput > 0) {
      for (double fraction : {0.5, 0.7, 0.85}) {
        auto open = Bench(c, 4 * concurrency + 16, fraction * m.throughput,
                          Tag(c, "rate" + std::to_string(static_cast<int>(fraction * 100))));
        if (!open.ok() || open->errors > 0 || open->p99_ms > o_.objective.slo_p99_ms) break;
        m.slo_rate = open->throughput;
        m.slo_rate_p99_ms = open->p99_ms;
      }
    }
    if (c.precision != Precision::kFp32) {
      auto [agreement, inputs] = Agreement(c.precision);
      m.agreement = agreement;
      m.agreement_inputs = inputs;
    }
    return m;
  }

  static std::string Tag(const Candidate& c, const std::string& what) {
    std::string key = c.Key();
    std::replace(key.begin(), key.end(), '/', '_');
    return key + "_" + what;
  }

  // Answers of one precision to every agreement input, from a server of its own.
  StatusOr<std::vector<std::string>> Answers(Precision p, const std::vector<fs::path>& inputs) {
    const fs::path dir = work_ / ("agree-" + std::string(PrecisionName(p)));
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir / "store", ec);
    fs::copy_file(archives_.at(p), dir / "store" / "model.mar", ec);
    const int pi = bench::FreePort(), pm = bench::FreePort(), px = bench::FreePort();
    std::string config = "inference_address=http://127.0.0.1:" + std::to_string(pi) +
                         "\nmanagement_address=http://127.0.0.1:" + std::to_string(pm) +
                         "\nmetrics_address=http://127.0.0.1:" + std::to_string(px) +
                         "\nenable_model_api=true\ndisable_token_authorization=true\nhearth_grpc_enable=false\n";
    for (const auto& [k, v] : PrecisionKeys(p)) config += k + "=" + v + "\n";
    RETURN_IF_ERROR(WriteFileAtomic(dir / "config.properties", config));
    bench::ServerProcess server;
    RETURN_IF_ERROR(server.Start(Bin("hearth"), dir, dir / "store", dir / "config.properties", pi));
    const std::string mgmt = "http://127.0.0.1:" + std::to_string(pm);
    auto reg = bench::HttpCall("POST", mgmt + "/models?url=model.mar&model_name=m&initial_workers=1&synchronous=true",
                               "", 600);
    if (!reg.ok()) return reg.status();
    if (reg->status != 200) return Internal("registering for the agreement check answered " + reg->body);
    std::vector<std::string> answers;
    for (const fs::path& input : inputs) {
      ASSIGN_OR_RETURN(std::string body, ReadFile(input));
      auto r = bench::HttpCall("POST", "http://127.0.0.1:" + std::to_string(pi) + "/predictions/m", body, 120);
      answers.push_back(r.ok() && r->status == 200 ? r->body : std::string("<error>"));
    }
    server.Stop();
    return answers;
  }

  std::pair<double, int> Agreement(Precision p) {
    if (auto it = agreement_.find(p); it != agreement_.end()) return it->second;
    std::vector<fs::path> inputs;
    std::error_code ec;
    if (!o_.agreement_data.empty() && fs::is_directory(o_.agreement_data, ec)) {
      for (const auto& e : fs::directory_iterator(o_.agreement_data)) {
        if (e.is_regular_file()) inputs.push_back(e.path());
      }
      std::sort(inputs.begin(), inputs.end());
      if (inputs.size() > 200) inputs.resize(200);
    }
    if (inputs.empty()) inputs.push_back(input_);
    if (!fp32_answers_) {
      auto a = Answers(Precision::kFp32, inputs);
      fp32_answers_ = a.ok() ? *a : std::vector<std::string>(inputs.size(), "<error>");
    }
    auto answers = Answers(p, inputs);
    int same = 0;
    for (size_t i = 0; answers.ok() && i < inputs.size(); ++i) {
      if ((*answers)[i] != "<error>" && SameAnswer((*fp32_answers_)[i], (*answers)[i])) ++same;
    }
    const auto result = std::make_pair(static_cast<double>(same) / inputs.size(), static_cast<int>(inputs.size()));
    agreement_[p] = result;
    return result;
  }

  Confirmation Confirm(const Candidate& winner) {
    Confirmation out;
    const int concurrency = o_.objective.kind == Objective::Kind::kLatency
                                ? 1
                                : std::max(ConcurrencyFor(winner), 2 * cores_);
    out.concurrency = concurrency;
    const fs::path dir = work_ / "runs" / "confirmation";
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    const std::vector<std::string> args = BenchCommand(
        mar_, concurrency, 2, dir,
        {// Hearth's default: a worker per core sharing the cores (the thread budget), batch 1.
         "workers=" + std::to_string(cores_) + ",label=default",
         // TorchServe's IPEX guide: ipex_enable and the CPU launcher with its defaults.
         "workers=" + std::to_string(cores_) + ",ipex_enable=true,cpu_launcher_enable=true,label=ipex guide",
         "url=" + archives_.at(winner.precision).string() + "," + CompareEntry(winner, "tuned")});
    std::printf("confirming side by side: default, the IPEX guide's recipe, tuned (c=%d, 2 rounds) ...\n",
                concurrency);
    std::fflush(stdout);
    const int rc = RunLogged(args, dir / "bench.log");
    auto text = ReadFile(dir / "report.json");
    if (rc != 0 || !text.ok()) {
      out.error = "the confirmation run failed; see " + (dir / "bench.log").string();
      return out;
    }
    Json report = Json::parse(*text, nullptr, false);
    for (const auto& row : report.value("rows", Json::array())) {
      ConfirmationRow r;
      r.label = row.value("label", "");
      r.throughput = row.value("throughput", 0.0);
      r.p50_ms = row["latency_ms"].value("p50", 0.0);
      r.p99_ms = row["latency_ms"].value("p99", 0.0);
      r.rss_mb = row.value("server_rss_mb_max", 0.0) + row.value("workers_rss_mb_max", 0.0);
      out.rows.push_back(r);
    }
    out.report_dir = dir.string();
    return out;
  }

  void LoadState(Planner& planner) {
    auto text = ReadFile(out_ / "state.json");
    if (!text.ok()) return;
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded() || j.value("model", "") != mar_.string() || j.value("cores", 0) != cores_ ||
        j.value("input", "") != input_.string()) {
      std::printf("state.json is for another model, input or machine: starting afresh\n");
      return;
    }
    int resumed = 0;
    for (const auto& t : j.value("tried", Json::array())) {
      auto c = Candidate::FromJson(t["candidate"]);
      if (!c.ok() || !archives_.count(c->precision)) continue;
      planner.Record(*c, Measurement::FromJson(t["measurement"]));
      ++resumed;
    }
    if (resumed) std::printf("resuming: %d configuration(s) already measured (state.json)\n", resumed);
  }

  void SaveState(const Planner& planner) {
    Json tried = Json::array();
    for (const auto& t : planner.all()) tried.push_back({{"candidate", t.candidate.ToJson()}, {"measurement", t.measurement.ToJson()}});
    Json j{{"model", mar_.string()}, {"input", input_.string()}, {"cores", cores_}, {"tried", tried}};
    (void)WriteFileAtomic(out_ / "state.json", j.dump(2));
  }

  std::string Summary(const Measurement& m) const {
    if (!m.ok) return "failed: " + m.error;
    std::string s = FormatFixed(m.throughput, 1) + " req/s at c=" + std::to_string(m.concurrency) + ", p50 " +
                    FormatFixed(m.p50_ms, 2) + " ms, p99 " + FormatFixed(m.p99_ms, 2) + " ms";
    if (m.slo_rate >= 0) s += ", " + FormatFixed(m.slo_rate, 1) + " req/s within the SLO";
    if (m.agreement >= 0) s += ", agreement " + FormatFixed(100 * m.agreement, 1) + "%";
    return s;
  }

  void Progress(const Planner& planner, const Candidate& c, const Measurement& m) {
    const double budget_s = o_.budget_minutes * 60;
    const int width = 20;
    const int filled = std::clamp(static_cast<int>(width * Elapsed() / budget_s), 0, width);
    const auto best = planner.Best();
    const bool is_best = best && best->candidate.Key() == c.Key();
    std::printf("[%s%s] %3.0fs/%.0fs  %-9s %-28s %s%s\n", std::string(filled, '#').c_str(),
                std::string(width - filled, '.').c_str(), Elapsed(), budget_s, Planner::StageName(planner.stage()),
                c.Label().c_str(), Summary(m).c_str(), is_best ? "  <- best so far" : "");
    std::fflush(stdout);
  }

  Status WriteOutputs(const Planner& planner, const Tried* best, const Confirmation& confirmation,
                      bool out_of_budget) {
    OutputInputs in{o_, cores_, version_, planner.all(), best, confirmation, notes_, out_of_budget, Elapsed(),
                    best ? archives_.at(best->candidate.precision).string() : std::string()};
    return WriteTuneOutputs(in, out_);
  }

  const TuneOptions& o_;
  Clock::time_point started_;
  fs::path out_, work_, mar_, input_;
  int cores_ = 1;
  std::string version_ = "1.0";
  archive::OpenedArchive opened_;
  std::vector<Precision> precisions_;
  std::map<Precision, fs::path> archives_;
  std::map<Precision, std::pair<double, int>> agreement_;
  std::optional<std::vector<std::string>> fp32_answers_;
  std::vector<std::string> notes_;
};

}  // namespace

int RunTune(const TuneOptions& options) { return Tuner(options).Run(); }

}  // namespace hearth::tune
