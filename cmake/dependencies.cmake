# Every third-party dependency comes from Debian 12 packages
# (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng)
pkg_check_modules(NUMA REQUIRED IMPORTED_TARGET numa)

# libtorch: only the worker and the tools link it (see docs/architecture.md).
find_package(Torch REQUIRED)
# Debian's TorchConfig puts its include dirs in TORCH_INCLUDE_DIRS and the
# libraries in TORCH_LIBRARIES; wrap them in one imported target.
add_library(hearth_torch INTERFACE)
target_include_directories(hearth_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_link_libraries(hearth_torch INTERFACE ${TORCH_LIBRARIES})
add_library(hearth::torch ALIAS hearth_torch)
