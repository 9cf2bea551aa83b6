#!/usr/bin/env bash
# Configures (once) and builds Hearth into build/ with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CI:+-DHEARTH_WERROR=ON}
fi
# Two cores, and libtorch translation units need ~1 GB each: -j2.
cmake --build build -j "${JOBS:-2}"
