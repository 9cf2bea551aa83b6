#pragma once
// Benchmark reports: the records of a run (every configuration, round and
// concurrency level), their aggregation (medians over rounds, ratios to the
// first configuration and to the raw libtorch baseline), and the report
// files: report.csv (benchmark-ab's ab_report.csv columns, then Hearth's),
// report.json, report.md and gnuplot plots. Formatting is pure; WriteReport
// writes files and runs gnuplot.

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "tools/bench/resource_sampler.h"
#include "tools/bench/server_metrics.h"
#include "tools/bench/stats.h"

namespace hearth::bench {

// One measured load level of one configuration in one round.
struct RunRecord {
  std::string label;        // the configuration ("ipex_enable=true", "raw", "fastapi", ...)
  std::string kind;         // "hearth" (started by the tool), "target" (a running server), "raw"
  int round = 1;
  int concurrency = 0;      // 0 for the raw loop
  double rate_per_s = 0;    // open loop arrival rate (0: closed loop)
  int64_t ok = 0;
  int64_t errors = 0;
  double elapsed_s = 0;
  double throughput = 0;    // answers per second
  LatencySummary latency;
  std::vector<double> latencies_ms;  // kept for the histogram plot
  ServerSplit split;
  double server_cpu_pct = 0, workers_cpu_pct = 0;       // means over the level
  double server_rss_mb_max = 0, workers_rss_mb_max = 0;
  double host_cpu_pct = 0, host_memory_pct = 0;         // the whole machine, means over the level
  double client_cpu_us_per_request = 0;
  double t_begin_s = 0, t_end_s = 0;                    // on the sampler's clock
  // The setting, for the CSV's descriptive columns.
  int batch_size = 1;
  int batch_delay_ms = 0;
  int workers = 0;
  std::string model;
  std::string input;
};

// Medians of a (label, concurrency) over rounds.
struct ReportRow {
  std::string label;
  std::string kind;
  int concurrency = 0;
  int rounds = 0;
  double throughput = 0;
  double ratio_to_first = 0;  // throughput / the first label's at this concurrency (1 for the first)
  double ratio_to_raw = 0;    // throughput / the raw baseline's (the row labelled "raw", else the first raw row; 0 when none)
  int64_t requests = 0;       // summed over rounds
  int64_t errors = 0;
  double error_rate_pct = 0;
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  ServerSplit split;          // of the median round (by throughput)
  double server_cpu_pct = 0, workers_cpu_pct = 0, server_rss_mb_max = 0, workers_rss_mb_max = 0;
  double host_cpu_pct = 0, host_memory_pct = 0;
  double client_cpu_us_per_request = 0;
  int batch_size = 1, batch_delay_ms = 0, workers = 0;
  std::string model, input;
};

struct Report {
  std::string title = "hearth-bench";
  std::string started_at;            // ISO 8601
  std::string machine;               // CPU model, cores
  int cores = 0;
  std::vector<RunRecord> runs;       // every round, in the order run
  std::vector<ResourceSample> samples;
  std::vector<PhaseMark> marks;
  std::vector<std::string> notes;    // shown in report.md
  bool handler_profiling = false;    // benchmark-ab's -hp: its handler_*_mean columns in ab_report.csv
};

// One line per concurrency level when several configurations ran: the one
// with the highest throughput and the one with the lowest p99 (configurations
// with errors are not candidates). Empty for a single configuration.
std::vector<std::string> SummaryLines(const std::vector<ReportRow>& rows);

// Rows in first-appearance order of labels, then concurrency.
std::vector<ReportRow> Aggregate(const Report& report);

// The CSV header: benchmark-ab's columns in its order, then Hearth's.
const std::vector<std::string>& CsvColumns();
// Every column, every row.
std::string ReportCsv(const std::vector<ReportRow>& rows);
// The `columns` named (from CsvColumns), optionally without raw-loop rows.
std::string ReportCsv(const std::vector<ReportRow>& rows, const std::vector<std::string>& columns, bool servers_only);
// benchmark-ab's own file, <report_location>/benchmark/ab_report.csv
// (written beside report.csv, so that scripts that read benchmark-ab's
// report find it): its 30 columns, plus the three handler_*_mean ones
// with handler profiling (-hp), server rows only.
std::vector<std::string> AbReportColumns(bool handler_profiling);
Json ReportJson(const Report& report, const std::vector<ReportRow>& rows);
std::string ReportMarkdown(const Report& report, const std::vector<ReportRow>& rows);
std::string TerminalTable(const std::vector<ReportRow>& rows);

// Writes report.csv, report.json, report.md, the plot data and plots.gp into
// `dir` (created), then runs gnuplot there when it is installed. Returns the
// paths of the PNGs made (none without gnuplot; report.md says so).
StatusOr<std::vector<std::string>> WriteReport(const std::string& dir, Report report);

}  // namespace hearth::bench
