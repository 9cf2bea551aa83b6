#pragma once
// A real ModelManager for unit tests: fake worker slots that load (and stop)
// by themselves, fake timers, an io_context on its own thread, and a
// temporary model store of directory archives. No processes.

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "core/model_manager.h"
#include "fake_worker_slot.h"

namespace hearth::core::testing {

class ManagerHarness {
 public:
  // `metrics` (may be null) outlives the harness.
  explicit ManagerHarness(Metrics* metrics = nullptr) : work_(io_.get_executor()) {
    root_ = std::filesystem::temp_directory_path() /
            ("hearth-unit-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "store");
    config.model_store = (root_ / "store").string();
    config.temp_dir = (root_ / "tmp").string();
    config.enable_model_api = true;
    factory.auto_load = true;
    io_thread_ = std::thread([this] { io_.run(); });
    manager_ = std::make_unique<ModelManager>(io_, config, metrics, ModelManagerDependencies{&timers, factory.Maker()});
  }
  ~ManagerHarness() {
    manager_.reset();
    work_.reset();
    io_.stop();
    io_thread_.join();
    std::filesystem::remove_all(root_);
  }

  // A directory archive <store>/<dir> holding a TorchScript-style manifest (handler "tensor").
  void WriteArchive(const std::string& dir, const std::string& name, const std::string& version) {
    const auto path = root_ / "store" / dir;
    std::filesystem::create_directories(path / "MAR-INF");
    std::ofstream(path / "MAR-INF" / "MANIFEST.json")
        << R"({"runtime": "python", "model": {"modelName": ")" << name << R"(", "modelVersion": ")" << version
        << R"(", "serializedFile": "model.pt", "handler": "tensor"}, "archiverVersion": "0.12.0"})";
    std::ofstream(path / "model.pt") << "stand-in";
  }
  void RemoveArchive(const std::string& dir) { std::filesystem::remove_all(root_ / "store" / dir); }

  ModelManager& manager() { return *manager_; }

  config::ServerConfig config;  // read by the manager (and a router) by reference
  FakeTimers timers;
  FakeWorkerFactory factory;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread io_thread_;
  std::filesystem::path root_;
  std::unique_ptr<ModelManager> manager_;
};

}  // namespace hearth::core::testing
