#!/usr/bin/env bash
# Installs every Debian 12 package Hearth needs to build, test and run.
# Idempotent: packages already present are left alone. Needs root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # inference engine and a real BLAS (without it BERT runs ~40x slower)
  libtorch-dev libopenblas0-openmp
  # server libraries
  libboost-dev libssl-dev nlohmann-json3-dev libzip-dev libarchive-dev libyaml-cpp-dev
  libturbojpeg0-dev libpng-dev libicu-dev libspdlog-dev libfmt-dev libcli11-dev libnuma-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # allocators and OpenMP runtimes the CPU launcher can choose
  libgoogle-perftools4 libjemalloc2 libomp5 numactl
  # tests and benchmarks
  libgtest-dev libgmock-dev curl wrk apache2-utils procps gnuplot-nox openssl time bc
  clang-14 libclang-rt-14-dev
  python3-torch python3-torchvision python3-pil python3-numpy python3-grpcio python3-protobuf python3-yaml
  python3-fastapi python3-uvicorn python3-httptools python3-uvloop python3-pytest python3-sklearn
  python3-pip python3-venv
)

# node + npm run TorchServe's Postman suites (newman). Some images ship a
# nodejs that bundles npm; only ask apt when either command is missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
