#include "tools/tune/tune_outputs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/files.h"
#include "common/json.h"
#include "common/strings.h"
#include "config/java_properties.h"

namespace hearth::tune {
namespace fs = std::filesystem;
namespace {

std::string Today() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&t));
  return buf;
}

const char* ObjectiveText(const Objective& o) {
  switch (o.kind) {
    case Objective::Kind::kThroughput: return "throughput (closed loop, every worker busy)";
    case Objective::Kind::kLatency: return "latency (median at one request at a time)";
    case Objective::Kind::kSlo: return "throughput within a p99 latency SLO (open loop)";
  }
  return "";
}

std::string WhyNot(const Measurement& m, const Objective& o) {
  if (!m.ok) return "failed: " + m.error;
  if (m.errors > 0) return std::to_string(m.errors) + " errors";
  if (m.agreement >= 0 && m.agreement < o.min_agreement) {
    return "agreement " + FormatFixed(100 * m.agreement, 1) + "% < " + FormatFixed(100 * o.min_agreement, 1) + "%";
  }
  if (o.kind == Objective::Kind::kSlo && m.slo_rate <= 0) return "no rate met the SLO";
  return "";
}

const ConfirmationRow* Row(const Confirmation& c, const std::string& label) {
  for (const auto& r : c.rows) {
    if (r.label == label) return &r;
  }
  return nullptr;
}

}  // namespace

std::string WinnerConfigProperties(const OutputInputs& in, const std::string& model_store, const std::string& file) {
  const Candidate& w = in.best->candidate;
  const std::string& name = in.options.model_name;
  std::string out = "# written by hearth-tune " + Today() + ": " + w.Label() + "\n";
  out += "# serve with: hearth --start --ts-config config.properties\n";
  if (!in.options.base_config.empty()) {
    // The user's own settings, but for the ones tuned here.
    static const char* kTuned[] = {"model_store", "load_models", "models", "cpu_launcher_enable", "batch_closing",
                                   "ipex_enable", "ipex_dtype", "model_snapshot"};
    auto text = ReadFile(in.options.base_config);
    if (text.ok()) {
      out += "# from " + in.options.base_config + "\n";
      for (const auto& p : config::ParseJavaProperties(*text)) {
        if (std::any_of(std::begin(kTuned), std::end(kTuned), [&](const char* k) { return p.key == k; })) continue;
        out += config::EscapePropertyText(p.key, true) + "=" + config::EscapePropertyText(p.value, false) + "\n";
      }
      out += "# tuned\n";
    }
  }
  out += "model_store=" + model_store + "\n";
  out += "load_models=" + name + "=" + file + "\n";
  Json models;
  models[name][in.model_version] = {{"minWorkers", w.workers},
                                    {"maxWorkers", w.workers},
                                    {"batchSize", w.batch_size},
                                    {"maxBatchDelay", w.adaptive ? 100 : w.batch_delay_ms}};
  out += "models=" + models.dump() + "\n";
  out += "cpu_launcher_enable=true\n";
  out += std::string("batch_closing=") + (w.adaptive ? "adaptive" : "delay") + "\n";
  const bool ipex = w.precision != Precision::kFp32;
  out += std::string("ipex_enable=") + (ipex ? "true" : "false") + "\n";
  if (w.precision == Precision::kBf16) out += "ipex_dtype=bfloat16\n";
  return out;
}

std::string WinnerModelConfig(const Candidate& w) {
  std::string out = "# hearth-tune's winner: " + w.Label() + "\n";
  out += "minWorkers: " + std::to_string(w.workers) + "\n";
  out += "maxWorkers: " + std::to_string(w.workers) + "\n";
  out += "batchSize: " + std::to_string(w.batch_size) + "\n";
  out += "maxBatchDelay: " + std::to_string(w.adaptive ? 100 : w.batch_delay_ms) + "\n";
  out += std::string("batchClosing: ") + (w.adaptive ? "adaptive" : "delay") + "\n";
  out += std::string("ipex_enable: ") + (w.precision != Precision::kFp32 ? "true" : "false") + "\n";
  if (w.precision == Precision::kBf16) out += "ipex_dtype: bfloat16\n";
  out += "# threads: the CPU launcher pins each worker to " + std::to_string(w.threads) +
         " core(s) (cpu_launcher_enable=true in config.properties)\n";
  return out;
}

std::string TuneReport(const OutputInputs& in) {
  const TuneOptions& o = in.options;
  std::string r = "# hearth-tune: " + o.mar + "\n\n";
  r += "Tuned " + Today() + " on " + std::to_string(in.cores) + " cores for " + ObjectiveText(o.objective);
  if (o.objective.kind == Objective::Kind::kSlo) r += ", p99 <= " + FormatFixed(o.objective.slo_p99_ms, 1) + " ms";
  r += "; input `" + fs::path(o.input).filename().string() + "`; " + FormatFixed(in.elapsed_s / 60, 1) + " of " +
       FormatFixed(o.budget_minutes, 1) + " minutes" + (in.out_of_budget ? " (the budget ended the search)" : "") +
       "; " + FormatFixed(o.seconds_per_candidate, 1) + " s per measurement; agreement threshold " +
       FormatFixed(100 * o.objective.min_agreement, 1) + "%.\n\n";
  for (const auto& note : in.notes) r += "- " + note + "\n";
  if (!in.notes.empty()) r += "\n";
  if (in.best) {
    const Candidate& w = in.best->candidate;
    const Measurement& m = in.best->measurement;
    r += "## Winner: " + w.Label() + "\n\n";
    r += "- " + std::to_string(w.workers) + " worker(s), each pinned to " + std::to_string(w.threads) +
         " core(s); batch size " + std::to_string(w.batch_size) +
         (w.batch_size > 1 ? (w.adaptive ? ", adaptive closing" : ", max_batch_delay " + std::to_string(w.batch_delay_ms) + " ms")
                           : "") +
         "; precision " + PrecisionName(w.precision) + ".\n";
    r += "- " + FormatFixed(m.throughput, 1) + " req/s at concurrency " + std::to_string(m.concurrency) + ", p50 " +
         FormatFixed(m.p50_ms, 2) + " ms, p99 " + FormatFixed(m.p99_ms, 2) + " ms, RSS " + FormatFixed(m.rss_mb, 0) + " MB" +
         (m.slo_rate >= 0 ? ", " + FormatFixed(m.slo_rate, 1) + " req/s at p99 " + FormatFixed(m.slo_rate_p99_ms, 2) + " ms" : "") +
         (m.agreement >= 0 ? ", top-1 agreement with fp32 " + FormatFixed(100 * m.agreement, 1) + "% on " +
                                 std::to_string(m.agreement_inputs) + " input(s)"
                           : "") +
         ".\n";
    r += "- Bottleneck: " + Bottleneck(m) + ".\n";
    r += "- Serve it: `hearth --start --ts-config config.properties` here (`model-config.yaml` holds the same "
         "settings for the archive).\n\n";
  } else {
    r += "## No usable configuration\n\nEvery candidate below failed or missed the objective";
    if (o.objective.kind == Objective::Kind::kSlo) {
      r += " (p99 <= " + FormatFixed(o.objective.slo_p99_ms, 1) + " ms: no rate met it; the lowest p99 values below are the "
           "closest)";
    }
    r += ". Nothing was written to serve.\n\n";
  }
  const Confirmation& c = in.confirmation;
  if (!c.rows.empty()) {
    const ConfirmationRow* def = Row(c, "default");
    const ConfirmationRow* guide = Row(c, "ipex guide");
    r += "## Side by side (one hearth-bench run, 2 alternating rounds, concurrency " + std::to_string(c.concurrency) +
         ")\n\n| configuration | req/s | vs default | vs IPEX guide | p50 ms | p99 ms | RSS MB |\n"
         "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& row : c.rows) {
      r += "| " + row.label + " | " + FormatFixed(row.throughput, 1) + " | " +
           (def && def->throughput > 0 ? FormatFixed(row.throughput / def->throughput, 2) + "x" : "") + " | " +
           (guide && guide->throughput > 0 ? FormatFixed(row.throughput / guide->throughput, 2) + "x" : "") + " | " +
           FormatFixed(row.p50_ms, 2) + " | " + FormatFixed(row.p99_ms, 2) + " | " + FormatFixed(row.rss_mb, 0) + " |\n";
    }
    r += "\n`default` is what `hearth --models` gives: a worker per core sharing the cores, batch 1, fp32. `ipex "
         "guide` is TorchServe's IPEX guide's recipe: `ipex_enable=true`, `cpu_launcher_enable=true`. hearth-bench's "
         "own report: `" + c.report_dir + "`.\n\n";
  } else if (!c.error.empty()) {
    r += "## Side by side\n\n" + c.error + "\n\n";
  }
  r += "## Every configuration measured\n\n![throughput against p99](pareto.png)\n\n"
       "| configuration | c | req/s | p50 ms | p99 ms | RSS MB | agreement | within SLO req/s | Pareto | note |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|:---:|---|\n";
  std::vector<std::pair<double, double>> points;
  std::vector<size_t> index;
  for (size_t i = 0; i < in.tried.size(); ++i) {
    if (!Admissible(in.tried[i].measurement, o.objective)) continue;
    points.emplace_back(in.tried[i].measurement.throughput, in.tried[i].measurement.p99_ms);
    index.push_back(i);
  }
  std::vector<size_t> front;
  for (size_t k : ParetoFront(points)) front.push_back(index[k]);
  for (size_t i = 0; i < in.tried.size(); ++i) {
    const Tried& t = in.tried[i];
    const Measurement& m = t.measurement;
    const bool winner = in.best && in.best->candidate.Key() == t.candidate.Key();
    std::string note = WhyNot(m, o.objective);
    if (winner) note = "**winner**";
    r += "| " + t.candidate.Label() + " | " + std::to_string(m.concurrency) + " | " + FormatFixed(m.throughput, 1) + " | " +
         FormatFixed(m.p50_ms, 2) + " | " + FormatFixed(m.p99_ms, 2) + " | " + FormatFixed(m.rss_mb, 0) + " | " +
         (m.agreement >= 0 ? FormatFixed(100 * m.agreement, 1) + "%" : "") + " | " +
         (m.slo_rate >= 0 ? FormatFixed(m.slo_rate, 1) : "") + " | " +
         (std::find(front.begin(), front.end(), i) != front.end() ? "yes" : "") + " | " + note + " |\n";
  }
  r += "\nConfigurations are workers x cores per worker, batch size, closing and precision (fp32 as archived; ipex: "
       "`ipex_enable`; bf16: `ipex_enable` + `ipex_dtype=bfloat16`; int8: `hearth-quantize`). The search: " +
       std::string("layouts first, then batch sizes while they improve, batch closing, precisions, and the layouts "
                   "again for a new precision; a gain under 2% does not count.\n");
  return r;
}

Status WriteTuneOutputs(const OutputInputs& in, const fs::path& out) {
  std::error_code ec;
  if (in.best) {
    const fs::path store = out / "model_store";
    fs::create_directories(store, ec);
    const std::string file = fs::path(in.winner_archive).filename().string();
    fs::copy_file(in.winner_archive, store / file, fs::copy_options::overwrite_existing, ec);
    if (ec) return Internal("cannot copy " + in.winner_archive + " into " + store.string() + ": " + ec.message());
    RETURN_IF_ERROR(WriteFileAtomic(out / "config.properties", WinnerConfigProperties(in, store.string(), file)));
    RETURN_IF_ERROR(WriteFileAtomic(out / "model-config.yaml", WinnerModelConfig(in.best->candidate)));
  }
  RETURN_IF_ERROR(WriteFileAtomic(out / "report.md", TuneReport(in)));
  // The Pareto plot: every usable configuration, the front, the winner.
  std::string all, front_text, winner;
  std::vector<std::pair<double, double>> points;
  for (const auto& t : in.tried) {
    if (!Admissible(t.measurement, in.options.objective)) continue;
    points.emplace_back(t.measurement.throughput, t.measurement.p99_ms);
    const std::string line = FormatFixed(t.measurement.p99_ms, 3) + " " + FormatFixed(t.measurement.throughput, 3) + "\n";
    all += line;
    if (in.best && t.candidate.Key() == in.best->candidate.Key()) winner = line;
  }
  for (size_t k : ParetoFront(points)) front_text += FormatFixed(points[k].second, 3) + " " + FormatFixed(points[k].first, 3) + "\n";
  if (points.empty() || std::system("command -v gnuplot >/dev/null 2>&1") != 0) return Status::Ok();
  RETURN_IF_ERROR(WriteFileAtomic(out / "work" / "all.dat", all));
  RETURN_IF_ERROR(WriteFileAtomic(out / "work" / "front.dat", front_text));
  RETURN_IF_ERROR(WriteFileAtomic(out / "work" / "winner.dat", winner.empty() ? "\n" : winner));
  const std::string gp =
      "set terminal pngcairo size 900,560 font \",10\"\nset output \"../pareto.png\"\nset grid\n"
      "set title \"Every configuration: throughput against p99\"\nset xlabel \"p99 latency, ms\"\n"
      "set ylabel \"requests/s\"\nset key bottom right\n"
      "plot \"all.dat\" using 1:2 with points pt 7 ps 1 lc rgb \"#999999\" title \"measured\", "
      "\"front.dat\" using 1:2 with linespoints pt 7 lc rgb \"#1f77b4\" title \"Pareto front\", "
      "\"winner.dat\" using 1:2 with points pt 9 ps 3 lc rgb \"#d62728\" title \"chosen\"\n";
  RETURN_IF_ERROR(WriteFileAtomic(out / "work" / "pareto.gp", gp));
  const std::string cmd = "cd '" + (out / "work").string() + "' && gnuplot pareto.gp 2> gnuplot.log";
  if (std::system(cmd.c_str()) != 0) return Internal("gnuplot failed; see " + (out / "work" / "gnuplot.log").string());
  return Status::Ok();
}

}  // namespace hearth::tune
