#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "common/files.h"
#include "common/strings.h"

namespace hearth::bench {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Fixed(double v, int digits = 2) { return FormatFixed(v, digits); }

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string GnuplotString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '_') {
      out += "\\\\_";  // not a subscript in enhanced text mode
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<ReportRow> Aggregate(const Report& report) {
  std::vector<std::string> labels;
  std::map<std::pair<std::string, int>, std::vector<const RunRecord*>> groups;
  for (const auto& r : report.runs) {
    if (std::find(labels.begin(), labels.end(), r.label) == labels.end()) labels.push_back(r.label);
    groups[{r.label, r.concurrency}].push_back(&r);
  }
  std::vector<ReportRow> rows;
  for (const auto& label : labels) {
    for (const auto& [key, records] : groups) {
      if (key.first != label) continue;
      ReportRow row;
      const RunRecord& first = *records.front();
      row.label = label;
      row.kind = first.kind;
      row.concurrency = key.second;
      row.rounds = static_cast<int>(records.size());
      auto median_of = [&](auto field) {
        std::vector<double> v;
        for (const auto* r : records) v.push_back(field(*r));
        return Median(v);
      };
      row.throughput = median_of([](const RunRecord& r) { return r.throughput; });
      row.mean_ms = median_of([](const RunRecord& r) { return r.latency.mean_ms; });
      row.p50_ms = median_of([](const RunRecord& r) { return r.latency.p50_ms; });
      row.p90_ms = median_of([](const RunRecord& r) { return r.latency.p90_ms; });
      row.p99_ms = median_of([](const RunRecord& r) { return r.latency.p99_ms; });
      row.p999_ms = median_of([](const RunRecord& r) { return r.latency.p999_ms; });
      row.max_ms = median_of([](const RunRecord& r) { return r.latency.max_ms; });
      row.server_cpu_pct = median_of([](const RunRecord& r) { return r.server_cpu_pct; });
      row.workers_cpu_pct = median_of([](const RunRecord& r) { return r.workers_cpu_pct; });
      row.server_rss_mb_max = median_of([](const RunRecord& r) { return r.server_rss_mb_max; });
      row.workers_rss_mb_max = median_of([](const RunRecord& r) { return r.workers_rss_mb_max; });
      row.host_cpu_pct = median_of([](const RunRecord& r) { return r.host_cpu_pct; });
      row.host_memory_pct = median_of([](const RunRecord& r) { return r.host_memory_pct; });
      row.client_cpu_us_per_request = median_of([](const RunRecord& r) { return r.client_cpu_us_per_request; });
      for (const auto* r : records) {
        row.requests += r->ok + r->errors;
        row.errors += r->errors;
      }
      row.error_rate_pct = row.requests ? 100.0 * static_cast<double>(row.errors) / static_cast<double>(row.requests) : 0;
      // The server's split of the median round by throughput.
      std::vector<const RunRecord*> by_tput(records.begin(), records.end());
      std::sort(by_tput.begin(), by_tput.end(), [](auto* a, auto* b) { return a->throughput < b->throughput; });
      row.split = by_tput[by_tput.size() / 2]->split;
      row.batch_size = first.batch_size;
      row.batch_delay_ms = first.batch_delay_ms;
      row.workers = first.workers;
      row.model = first.model;
      row.input = first.input;
      rows.push_back(std::move(row));
    }
  }
  // Ratios: to the first label at the same concurrency, and to the raw loop.
  // The baseline: the row labelled "raw" (--raw-baseline), else the first raw loop.
  double raw = 0;
  for (const auto& r : rows) {
    if (r.kind == "raw" && (raw == 0 || r.label == "raw")) raw = r.throughput;
  }
  // "vs first": the first served configuration (raw loops have no concurrency).
  std::string first_label;
  for (const auto& r : rows) {
    if (r.kind != "raw") {
      first_label = r.label;
      break;
    }
  }
  for (auto& r : rows) {
    if (raw > 0 && r.kind != "raw") r.ratio_to_raw = r.throughput / raw;
    if (r.kind == "raw") {
      if (raw > 0) r.ratio_to_raw = r.throughput / raw;
      continue;
    }
    for (const auto& base : rows) {
      if (base.label == first_label && base.concurrency == r.concurrency && base.throughput > 0) {
        r.ratio_to_first = r.throughput / base.throughput;
      }
    }
  }
  return rows;
}

const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> columns = {
      // benchmark-ab's ab_report.csv, in its order.
      "Benchmark", "TS failed requests", "TS throughput", "TS latency P50", "TS latency P90", "TS latency P99",
      "TS latency mean", "TS error rate", "Batch size", "Batch delay", "Workers", "Model", "Concurrency", "Input",
      "Requests", "Model_p50", "Model_p90", "Model_p99", "Queue time p50", "Queue time p90", "Queue time p99",
      "predict_mean", "handler_time_mean", "waiting_time_mean", "worker_thread_mean", "cpu_percentage_mean",
      "memory_percentage_mean", "gpu_percentage_mean", "gpu_memory_percentage_mean", "gpu_memory_used_mean",
      // Hearth's own.
      "Kind", "Rounds", "Ratio to first", "Ratio to raw", "TS latency P99.9", "TS latency max", "Server CPU %",
      "Workers CPU %", "Server RSS MB", "Workers RSS MB", "Client CPU us per request", "Server batch size mean",
      "Server split",
      // benchmark-ab's handler profiling (-hp) columns; Hearth always has them.
      "handler_preprocess_mean", "handler_inference_mean", "handler_postprocess_mean"};
  return columns;
}

std::vector<std::string> AbReportColumns(bool handler_profiling) {
  const auto& all = CsvColumns();
  std::vector<std::string> columns(all.begin(), all.begin() + 30);
  if (handler_profiling) columns.insert(columns.end(), all.end() - 3, all.end());
  return columns;
}

std::string ReportCsv(const std::vector<ReportRow>& rows) { return ReportCsv(rows, CsvColumns(), false); }

std::string ReportCsv(const std::vector<ReportRow>& rows, const std::vector<std::string>& wanted, bool servers_only) {
  const auto& columns = CsvColumns();
  std::vector<size_t> picks;
  for (const auto& w : wanted) {
    picks.push_back(static_cast<size_t>(std::find(columns.begin(), columns.end(), w) - columns.begin()));
  }
  std::string out;
  for (size_t i = 0; i < wanted.size(); ++i) out += (i ? "," : "") + CsvField(wanted[i]);
  out += "\n";
  for (const auto& r : rows) {
    if (r.kind == "raw" && servers_only) continue;
    const bool split = r.split.available;
    const bool pct = split && r.split.percentiles;
    const bool wt = split && r.split.worker_times;
    const bool has_host = r.host_memory_pct > 0;  // 0: the level had no resource samples
    auto opt = [](bool have, double v) { return have ? Fixed(v) : std::string(); };
    std::vector<std::string> f = {
        r.label, std::to_string(r.errors), Fixed(r.throughput), Fixed(r.p50_ms), Fixed(r.p90_ms), Fixed(r.p99_ms),
        Fixed(r.mean_ms), Fixed(r.error_rate_pct), std::to_string(r.batch_size), std::to_string(r.batch_delay_ms),
        std::to_string(r.workers), r.model.empty() ? "" : "[.mar](" + r.model + ")", std::to_string(r.concurrency),
        r.input.empty() ? "" : "[input](" + r.input + ")", std::to_string(r.requests),
        // Model_p*: the worker's PredictionTime when the server reports it, else the round trip to the worker.
        opt(pct, wt ? r.split.prediction_p50_ms : r.split.inference_p50_ms),
        opt(pct, wt ? r.split.prediction_p90_ms : r.split.inference_p90_ms),
        opt(pct, wt ? r.split.prediction_p99_ms : r.split.inference_p99_ms),
        opt(pct, r.split.queue_p50_ms), opt(pct, r.split.queue_p90_ms), opt(pct, r.split.queue_p99_ms),
        opt(split, wt ? r.split.prediction_mean_ms : r.split.inference_mean_ms), opt(wt, r.split.handler_mean_ms),
        opt(split, r.split.queue_mean_ms),
        opt(wt, std::max(0.0, r.split.inference_mean_ms - r.split.prediction_mean_ms)),
        opt(has_host, r.host_cpu_pct), opt(has_host, r.host_memory_pct), "", "", "",
        r.kind, std::to_string(r.rounds), Fixed(r.ratio_to_first, 3), r.ratio_to_raw > 0 ? Fixed(r.ratio_to_raw, 3) : "",
        Fixed(r.p999_ms), Fixed(r.max_ms), Fixed(r.server_cpu_pct, 1), Fixed(r.workers_cpu_pct, 1),
        Fixed(r.server_rss_mb_max, 1), Fixed(r.workers_rss_mb_max, 1), Fixed(r.client_cpu_us_per_request, 1),
        opt(pct, r.split.batch_size_mean), !split ? "none" : pct ? "histograms" : "means",
        opt(wt, r.split.preprocess_mean_ms), opt(wt, r.split.forward_mean_ms), opt(wt, r.split.postprocess_mean_ms)};
    for (size_t i = 0; i < picks.size(); ++i) out += (i ? "," : "") + (picks[i] < f.size() ? CsvField(f[picks[i]]) : "");
    out += "\n";
  }
  return out;
}

Json ReportJson(const Report& report, const std::vector<ReportRow>& rows) {
  Json j;
  j["title"] = report.title;
  j["started_at"] = report.started_at;
  j["machine"] = report.machine;
  j["cores"] = report.cores;
  Json jr = Json::array();
  for (const auto& r : rows) {
    Json row = {{"label", r.label},
                {"kind", r.kind},
                {"concurrency", r.concurrency},
                {"rounds", r.rounds},
                {"throughput", r.throughput},
                {"ratio_to_first", r.ratio_to_first},
                {"ratio_to_raw", r.ratio_to_raw},
                {"requests", r.requests},
                {"errors", r.errors},
                {"error_rate_pct", r.error_rate_pct},
                {"latency_ms", {{"mean", r.mean_ms}, {"p50", r.p50_ms}, {"p90", r.p90_ms}, {"p99", r.p99_ms},
                                {"p999", r.p999_ms}, {"max", r.max_ms}}},
                {"server_cpu_pct", r.server_cpu_pct},
                {"workers_cpu_pct", r.workers_cpu_pct},
                {"server_rss_mb_max", r.server_rss_mb_max},
                {"host_cpu_pct", r.host_cpu_pct},
                {"host_memory_pct", r.host_memory_pct},
                {"workers_rss_mb_max", r.workers_rss_mb_max},
                {"client_cpu_us_per_request", r.client_cpu_us_per_request},
                {"batch_size", r.batch_size},
                {"batch_delay_ms", r.batch_delay_ms},
                {"workers", r.workers},
                {"model", r.model},
                {"input", r.input}};
    if (r.split.available) {
      row["server_split"] = {{"percentiles", r.split.percentiles},
                             {"requests", r.split.requests},
                             {"queue_ms", {{"mean", r.split.queue_mean_ms}, {"p50", r.split.queue_p50_ms},
                                           {"p90", r.split.queue_p90_ms}, {"p99", r.split.queue_p99_ms}}},
                             {"inference_ms", {{"mean", r.split.inference_mean_ms}, {"p50", r.split.inference_p50_ms},
                                               {"p90", r.split.inference_p90_ms}, {"p99", r.split.inference_p99_ms}}},
                             {"batch_size_mean", r.split.batch_size_mean}};
      if (r.split.worker_times) {
        row["server_split"]["prediction_ms"] = {{"mean", r.split.prediction_mean_ms},
                                                {"p50", r.split.prediction_p50_ms},
                                                {"p90", r.split.prediction_p90_ms},
                                                {"p99", r.split.prediction_p99_ms}};
        row["server_split"]["handler_ms_mean"] = r.split.handler_mean_ms;
        row["server_split"]["handler_phases_ms_mean"] = {{"preprocess", r.split.preprocess_mean_ms},
                                                         {"forward", r.split.forward_mean_ms},
                                                         {"postprocess", r.split.postprocess_mean_ms}};
      }
    }
    jr.push_back(std::move(row));
  }
  j["rows"] = std::move(jr);
  Json runs = Json::array();
  for (const auto& r : report.runs) {
    runs.push_back({{"label", r.label}, {"round", r.round}, {"concurrency", r.concurrency}, {"rate", r.rate_per_s},
                    {"ok", r.ok}, {"errors", r.errors}, {"elapsed_s", r.elapsed_s}, {"throughput", r.throughput},
                    {"p50_ms", r.latency.p50_ms}, {"p99_ms", r.latency.p99_ms}});
  }
  j["runs"] = std::move(runs);
  j["notes"] = report.notes;
  return j;
}

std::vector<std::string> SummaryLines(const std::vector<ReportRow>& rows) {
  std::vector<std::string> lines;
  std::vector<int> levels;
  for (const auto& r : rows) {
    if (r.kind != "raw" && std::find(levels.begin(), levels.end(), r.concurrency) == levels.end()) {
      levels.push_back(r.concurrency);
    }
  }
  const bool several = std::count_if(rows.begin(), rows.end(), [&](const ReportRow& r) {
                         return r.kind != "raw" && r.concurrency == (levels.empty() ? 0 : levels.front());
                       }) > 1;
  if (!several) return lines;  // one configuration: nothing to choose between
  for (int c : levels) {
    const ReportRow* fastest = nullptr;
    const ReportRow* steadiest = nullptr;
    for (const auto& r : rows) {
      if (r.kind == "raw" || r.concurrency != c || r.errors > 0) continue;
      if (!fastest || r.throughput > fastest->throughput) fastest = &r;
      if (!steadiest || r.p99_ms < steadiest->p99_ms) steadiest = &r;
    }
    if (!fastest) continue;
    lines.push_back("c=" + std::to_string(c) + ": highest throughput **" + fastest->label + "** (" +
                    Fixed(fastest->throughput, 1) + " req/s, x" + Fixed(fastest->ratio_to_first, 2) +
                    " the first configuration" +
                    (fastest->ratio_to_raw > 0 ? ", " + Fixed(fastest->ratio_to_raw, 2) + " of the raw loop" : "") +
                    "); lowest p99 **" + steadiest->label + "** (" + Fixed(steadiest->p99_ms) + " ms)");
  }
  return lines;
}

std::string ReportMarkdown(const Report& report, const std::vector<ReportRow>& rows) {
  std::ostringstream md;
  md << "# " << report.title << "\n\n";
  md << "Started " << report.started_at << " on " << report.machine << " (" << report.cores << " cores).\n\n";
  for (const auto& line : SummaryLines(rows)) md << "- " << line << "\n";
  if (!SummaryLines(rows).empty()) md << "\n";
  md << "| configuration | c | req/s | vs first | vs raw | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | "
        "queue ms | inference ms | handler ms (pre + fwd + post) | server CPU % | workers CPU % | "
        "RSS MB (server + workers) |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    const bool raw = r.kind == "raw";
    md << "| " << r.label << " | " << (raw ? "-" : std::to_string(r.concurrency)) << " | " << Fixed(r.throughput, 1)
       << " | " << (raw ? "-" : Fixed(r.ratio_to_first, 3)) << " | "
       << (r.ratio_to_raw > 0 ? Fixed(r.ratio_to_raw, 3) : "-") << " | " << Fixed(r.p50_ms) << " | "
       << Fixed(r.p90_ms) << " | " << Fixed(r.p99_ms) << " | " << Fixed(r.p999_ms) << " | " << r.errors << " | "
       << (r.split.available ? Fixed(r.split.queue_mean_ms) : "-") << " | "
       << (r.split.available ? Fixed(r.split.inference_mean_ms) : "-") << " | "
       << (r.split.worker_times ? Fixed(r.split.handler_mean_ms) + " (" + Fixed(r.split.preprocess_mean_ms) + " + " +
                                      Fixed(r.split.forward_mean_ms) + " + " + Fixed(r.split.postprocess_mean_ms) + ")"
                                : "-")
       << " | " << (raw ? "-" : Fixed(r.server_cpu_pct, 0)) << " | " << (raw ? "-" : Fixed(r.workers_cpu_pct, 0)) << " | "
       << (raw ? "-" : Fixed(r.server_rss_mb_max, 0) + " + " + Fixed(r.workers_rss_mb_max, 0)) << " |\n";
  }
  md << "\nMedians over rounds; \"vs first\" divides by the first configuration's throughput at the same "
        "concurrency, \"vs raw\" by the raw libtorch loop's. Queue, inference (the round trip to a worker) and "
        "handler times are the server's own means per batch (from /metrics); CPU is 100 per core.\n";
  for (const auto& n : report.notes) md << "\n" << n << "\n";
  return md.str();
}

std::string TerminalTable(const std::vector<ReportRow>& rows) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-34s %5s %10s %8s %8s %9s %9s %9s %7s %9s %9s\n", "configuration", "c",
                "req/s", "vs first", "vs raw", "p50 ms", "p90 ms", "p99 ms", "errors", "queue ms", "infer ms");
  out += line;
  for (const auto& r : rows) {
    std::string label = r.label.size() > 34 ? r.label.substr(0, 31) + "..." : r.label;
    std::snprintf(line, sizeof(line), "%-34s %5s %10.1f %8s %8s %9.2f %9.2f %9.2f %7lld %9s %9s\n", label.c_str(),
                  r.kind == "raw" ? "-" : std::to_string(r.concurrency).c_str(), r.throughput,
                  r.kind == "raw" ? "-" : Fixed(r.ratio_to_first, 3).c_str(),
                  r.ratio_to_raw > 0 ? Fixed(r.ratio_to_raw, 3).c_str() : "-", r.p50_ms, r.p90_ms, r.p99_ms,
                  static_cast<long long>(r.errors), r.split.available ? Fixed(r.split.queue_mean_ms).c_str() : "-",
                  r.split.available ? Fixed(r.split.inference_mean_ms).c_str() : "-");
    out += line;
  }
  return out;
}

StatusOr<std::vector<std::string>> WriteReport(const std::string& dir_name, Report report) {
  namespace fs = std::filesystem;
  const fs::path dir(dir_name);
  std::error_code ec;
  fs::create_directories(dir / "benchmark", ec);
  if (ec) return Internal("cannot create " + (dir / "benchmark").string() + ": " + ec.message());
  const auto rows = Aggregate(report);
  // Plot data.
  std::vector<std::string> labels;
  for (const auto& r : rows) {
    if (r.kind != "raw" && std::find(labels.begin(), labels.end(), r.label) == labels.end()) labels.push_back(r.label);
  }
  std::vector<std::pair<std::string, double>> raw_loops;  // (label, items/s): a dashed line each
  for (const auto& r : rows) {
    if (r.kind == "raw") raw_loops.emplace_back(r.label, r.throughput);
  }
  std::string load_dat;
  for (const auto& label : labels) {
    load_dat += "# " + label + "\n# concurrency throughput p50 p90 p99 p999\n";
    for (const auto& r : rows) {
      if (r.label != label) continue;
      load_dat += std::to_string(r.concurrency) + " " + Fixed(r.throughput, 3) + " " + Fixed(r.p50_ms, 3) + " " +
                  Fixed(r.p90_ms, 3) + " " + Fixed(r.p99_ms, 3) + " " + Fixed(r.p999_ms, 3) + "\n";
    }
    load_dat += "\n\n";
  }
  // Latency histograms: each configuration's highest concurrency, last round.
  std::string hist_dat;
  for (const auto& label : labels) {
    const RunRecord* pick = nullptr;
    for (const auto& r : report.runs) {
      if (r.label == label && (!pick || r.concurrency >= pick->concurrency)) pick = &r;
    }
    hist_dat += "# " + label + (pick ? " c=" + std::to_string(pick->concurrency) : "") + "\n";
    if (pick) {
      for (const auto& [lo, n] : Histogram(pick->latencies_ms, 40)) hist_dat += Fixed(lo, 4) + " " + std::to_string(n) + "\n";
    }
    hist_dat += "\n\n";
  }
  // Per-core utilization over the run, as a matrix for a heat map (rows = cores).
  std::string cpu_dat;
  const size_t cores = report.samples.empty() ? 0 : report.samples.front().core_busy_pct.size();
  for (size_t c = 0; c < cores; ++c) {
    for (const auto& s : report.samples) cpu_dat += Fixed(s.t_s, 2) + " " + std::to_string(c) + " " +
                                                    Fixed(c < s.core_busy_pct.size() ? s.core_busy_pct[c] : 0, 1) + "\n";
    cpu_dat += "\n";
  }
  std::string gp = "set terminal pngcairo size 1000,600 font \",10\"\nset grid\nset key outside right top\n";
  gp += "set output \"throughput.png\"\nset title \"Throughput vs concurrency\"\nset xlabel \"concurrent clients\"\n"
        "set ylabel \"requests/s\"\nset logscale x 2\nset yrange [0:*]\n";
  std::string plot;
  for (size_t i = 0; i < labels.size(); ++i) {
    plot += std::string(i ? ", " : "plot ") + "\"load.dat\" index " + std::to_string(i) +
            " using 1:2 with linespoints lw 2 title " + GnuplotString(labels[i]);
  }
  for (const auto& [label, items_per_s] : raw_loops) {
    plot += std::string(plot.empty() ? "plot " : ", ") + Fixed(items_per_s, 3) + " with lines dt 2 lw 2 title " +
            GnuplotString(label + " (libtorch loop)");
  }
  gp += (plot.empty() ? "plot 0 notitle" : plot) + "\n";
  gp += "set output \"latency.png\"\nset title \"Latency percentiles vs concurrency\"\nset ylabel \"ms\"\n";
  plot.clear();
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string idx = std::to_string(i), lt = std::to_string(i + 1);
    plot += std::string(i ? ", " : "plot ") + "\"load.dat\" index " + idx + " using 1:3 with linespoints lt " + lt +
            " lw 2 title " + GnuplotString(labels[i] + " p50") + ", \"load.dat\" index " + idx +
            " using 1:4 with lines lt " + lt + " dt 3 title " + GnuplotString(labels[i] + " p90") +
            ", \"load.dat\" index " + idx + " using 1:5 with lines lt " + lt + " dt 2 title " +
            GnuplotString(labels[i] + " p99");
  }
  gp += (plot.empty() ? "plot 0 notitle" : plot) + "\nunset logscale x\n";
  gp += "set output \"histogram.png\"\nset title \"Latency histogram (highest concurrency)\"\nset xlabel \"ms\"\n"
        "set ylabel \"requests\"\nset style fill transparent solid 0.4 noborder\n";
  plot.clear();
  for (size_t i = 0; i < labels.size(); ++i) {
    plot += std::string(i ? ", " : "plot ") + "\"histogram.dat\" index " + std::to_string(i) +
            " using 1:2 with boxes title " + GnuplotString(labels[i]);
  }
  gp += (plot.empty() ? "plot 0 notitle" : plot) + "\n";
  gp += "set output \"cpu.png\"\nset title \"CPU utilization per core over the run (%)\"\nset xlabel \"seconds\"\n"
        "set ylabel \"core\"\nset cbrange [0:100]\nset palette defined (0 \"white\", 50 \"orange\", 100 \"dark-red\")\n"
        "set ytics 1\nset yrange [-0.5:" + Fixed(static_cast<double>(cores) - 0.5, 1) + "]\nunset grid\n"
        "set style fill solid 1.0 noborder\n";  // the histogram's transparency would wash out the colour bar
  // Every load level is a dashed line; a configuration's first level is labelled.
  gp += "set tmargin 5\nset title offset 0,2\n";
  // Labels alternate between two heights so that short levels' names do not overlap.
  std::string previous;
  int labelled = 0;
  for (const auto& m : report.marks) {
    gp += "set arrow from " + Fixed(m.t_s, 2) + ", graph 0 to " + Fixed(m.t_s, 2) +
          ", graph 1 nohead front dt 2 lc \"gray40\"\n";
    const std::string config = m.label.substr(0, m.label.rfind(" c="));
    if (config != previous) {
      gp += "set label " + GnuplotString(config) + " at " + Fixed(m.t_s, 2) + ", graph " +
            (labelled++ % 2 ? "1.08" : "1.03") + " font \",8\"\n";
    }
    previous = config;
  }
  // A heat map needs two samples per core at least.
  gp += cores && report.samples.size() >= 2 ? "plot \"cpu.dat\" using 1:2:3 with image notitle\n"
                                            : "set label \"run too short to sample\" at graph 0.4, graph 0.5\nplot [0:1] -1 notitle\n";
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"report.csv", ReportCsv(rows)},
           {"benchmark/ab_report.csv", ReportCsv(rows, AbReportColumns(report.handler_profiling), true)},
           {"report.json", ReportJson(report, rows).dump(2) + "\n"},
           {"report.md", ReportMarkdown(report, rows) +
                             "\n![throughput](throughput.png)\n![latency](latency.png)\n![histogram](histogram.png)\n"
                             "![cpu](cpu.png)\n"},
           {"load.dat", load_dat},
           {"histogram.dat", hist_dat},
           {"cpu.dat", cpu_dat},
           {"plots.gp", gp}}) {
    RETURN_IF_ERROR(WriteFileAtomic(dir / name, text));
  }
  std::vector<std::string> pngs;
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    std::string md = ReportMarkdown(report, rows) + "\nPlots: gnuplot is not installed; run `gnuplot plots.gp` here.\n";
    RETURN_IF_ERROR(WriteFileAtomic(dir / "report.md", md));
    return pngs;
  }
  const std::string cmd = "cd '" + dir.string() + "' && gnuplot plots.gp 2> gnuplot.log";
  if (std::system(cmd.c_str()) != 0) {
    return Internal("gnuplot failed; see " + (dir / "gnuplot.log").string());
  }
  for (const char* png : {"throughput.png", "latency.png", "histogram.png", "cpu.png"}) {
    if (fs::exists(dir / png)) pngs.push_back((dir / png).string());
  }
  return pngs;
}

}  // namespace hearth::bench
