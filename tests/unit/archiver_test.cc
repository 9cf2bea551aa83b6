#include "tools/archiver/archiver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "archive/archive_reader.h"
#include "common/files.h"

namespace hearth::tools {
namespace {
namespace fs = std::filesystem;

class ArchiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hearth-archiver-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "extra" / "sub");
    fs::create_directories(dir_ / "extra" / "__pycache__");
    Write("model.pt", "weights");
    Write("extra/labels.json", "{}");
    Write("extra/sub/vocab.txt", "[PAD]");
    Write("extra/__pycache__/h.cpython-311.pyc", "x");
    Write("extra/.hidden", "x");
    Write("handler.py", "def handle(): pass");
    Write("libmy_handler.so", "ELF");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }

  ArchiverOptions Base() {
    ArchiverOptions o;
    o.model_name = "m";
    o.version = "1.0";
    o.serialized_file = (dir_ / "model.pt").string();
    o.handler = "image_classifier";
    o.export_path = (dir_ / "out").string();
    return o;
  }

  std::vector<std::string> Names(const ArchivePlan& plan) {
    std::vector<std::string> names;
    for (const auto& e : plan.entries) names.push_back(e.archive_path);
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(ArchiverTest, FlatFilesAndDirectoryContents) {
  ArchiverOptions o = Base();
  o.extra_files = (dir_ / "extra").string();
  auto plan = PlanArchive(o);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(Names(*plan),
            (std::vector<std::string>{"MAR-INF/MANIFEST.json", "labels.json", "model.pt", "sub/vocab.txt"}));
  EXPECT_EQ(plan->manifest.serialized_file, "model.pt");
  EXPECT_EQ(plan->manifest.handler, "image_classifier");
  EXPECT_EQ(plan->output, dir_ / "out" / "m.mar");
}

TEST_F(ArchiverTest, HandlerKinds) {
  ArchiverOptions o = Base();
  o.handler = (dir_ / "handler.py").string() + ":handle";
  auto py = PlanArchive(o);
  ASSERT_TRUE(py.ok()) << py.status().ToString();
  EXPECT_EQ(py->manifest.handler, "handler.py:handle");
  o.handler = (dir_ / "libmy_handler").string() + ":MyHandler";
  auto lsp = PlanArchive(o);
  ASSERT_TRUE(lsp.ok()) << lsp.status().ToString();
  EXPECT_EQ(lsp->manifest.handler, "libmy_handler:MyHandler");
  EXPECT_NE(std::find(Names(*lsp).begin(), Names(*lsp).end(), "libmy_handler.so"), Names(*lsp).end());
  o.handler = "no_such_handler";
  auto bad = PlanArchive(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no_such_handler"), std::string::npos);
}

TEST_F(ArchiverTest, ErrorsNameTheProblem) {
  ArchiverOptions o = Base();
  o.model_name = "bad name";
  EXPECT_NE(PlanArchive(o).status().message().find("special characters"), std::string::npos);
  o = Base();
  o.serialized_file = (dir_ / "missing.pt").string();
  auto missing = PlanArchive(o);
  EXPECT_NE(missing.status().message().find("missing.pt"), std::string::npos);
  o = Base();
  o.extra_files = (dir_ / "nope*.json").string();
  EXPECT_NE(PlanArchive(o).status().message().find("--extra-files"), std::string::npos);
  o = Base();
  Write("bad.yaml", "a: [1, 2\n");
  o.config_file = (dir_ / "bad.yaml").string();
  auto yaml = PlanArchive(o);
  ASSERT_FALSE(yaml.ok());
  EXPECT_NE(yaml.status().message().find("bad.yaml"), std::string::npos);
  o = Base();
  o.archive_format = "rar";
  EXPECT_FALSE(PlanArchive(o).ok());
}

TEST_F(ArchiverTest, DuplicateBasenamesRefused) {
  fs::create_directories(dir_ / "other");
  Write("other/model.pt", "different");
  ArchiverOptions o = Base();
  o.extra_files = (dir_ / "other" / "model.pt").string();
  auto plan = PlanArchive(o);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("both be stored as model.pt"), std::string::npos);
}

TEST_F(ArchiverTest, EveryFormatRoundTripsThroughTheReader) {
  for (const char* format : {"default", "zip-store", "tgz", "no-archive"}) {
    ArchiverOptions o = Base();
    o.model_name = std::string("m_") + format;
    o.archive_format = format;
    o.extra_files = (dir_ / "extra").string();
    auto out = CreateArchive(o);
    ASSERT_TRUE(out.ok()) << format << ": " << out.status().ToString();
    archive::ExtractOptions x;
    x.extraction_root = dir_ / "extracted";
    auto opened = archive::OpenModelArchive(*out, x);
    ASSERT_TRUE(opened.ok()) << format << ": " << opened.status().ToString();
    ASSERT_TRUE(opened->manifest) << format;
    EXPECT_EQ(opened->manifest->model_name, o.model_name);
    EXPECT_EQ(*ReadFile(opened->model_dir / "model.pt"), "weights") << format;
    EXPECT_EQ(*ReadFile(opened->model_dir / "sub" / "vocab.txt"), "[PAD]") << format;
    // Exists without -f: refused; with -f: replaced.
    auto again = CreateArchive(o);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
    o.force = true;
    EXPECT_TRUE(CreateArchive(o).ok());
  }
  // Nothing temporary is left behind in the export directory.
  for (const auto& e : fs::directory_iterator(dir_ / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace hearth::tools
