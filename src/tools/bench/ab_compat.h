#pragma once
// benchmark-ab.py's command line on hearth-bench. TorchServe's script takes
// click-style options: two- and three-letter single-dash aliases (-ic, -bs,
// -bd, -cp, -imu, -rl, -td, -bp, -hp, -gg, -di, -dr, -e, -g), boolean
// options that take a value (-gg True), and `--config FILE.json` whose keys
// are the long option names. TranslateBenchmarkAbArgs rewrites such a
// command line into hearth-bench's own spelling before CLI11 parses it, so
// `hearth-bench -u rn50.mar -i kitten.jpg -ic image/jpeg -bs 4 -bd 50 -c 8 -r 1000
// -cp config.properties -rl report/` works as users type it for
// benchmark-ab. hearth-bench's own --config FILE (not .json) still means
// config.properties.

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hearth::bench {

// `args` without the program name. `read_file` reads --config JSON files.
// Errors name the file and key ("bench.json: unknown key \"foo\"").
StatusOr<std::vector<std::string>> TranslateBenchmarkAbArgs(
    const std::vector<std::string>& args, const std::function<StatusOr<std::string>(const std::string&)>& read_file);

// benchmark-ab's positional test plans: "custom" runs the options as given;
// the others are presets around TorchServe's published .mar files.
bool IsBenchmarkAbPreset(const std::string& test_plan);

}  // namespace hearth::bench
