#include <gtest/gtest.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include "archive/archive_reader.h"
#include "archive/manifest.h"
#include "common/files.h"

namespace hearth::archive {
namespace {
namespace fs = std::filesystem;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("hearth-archive-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes a zip with the given entries (name -> contents).
  fs::path MakeZip(const std::string& name, const std::vector<std::pair<std::string, std::string>>& entries) {
    fs::path path = root_ / name;
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    EXPECT_NE(z, nullptr);
    for (const auto& [entry, data] : entries) {
      auto* copy = new std::string(data);
      zip_source_t* src = zip_source_buffer(z, copy->data(), copy->size(), 0);
      zip_file_add(z, entry.c_str(), src, ZIP_FL_OVERWRITE);
      sources_.emplace_back(copy);
    }
    EXPECT_EQ(zip_close(z), 0);
    return path;
  }

  ExtractOptions Options() {
    ExtractOptions o;
    o.extraction_root = root_ / "extract";
    return o;
  }

  fs::path root_;
  std::vector<std::unique_ptr<std::string>> sources_;
};

const char* kManifest = R"({"createdOn": "17/03/2025 11:20:57", "runtime": "python",
  "model": {"modelName": "densenet161", "serializedFile": "model.pt", "handler": "image_classifier",
            "modelVersion": "2.0"}, "archiverVersion": "0.12.0"})";

TEST(ManifestTest, ParsesTorchServeManifest) {
  auto m = ParseManifest(kManifest, "x.mar");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->model_name, "densenet161");
  EXPECT_EQ(m->serialized_file, "model.pt");
  EXPECT_EQ(m->handler, "image_classifier");
  EXPECT_EQ(m->model_version, "2.0");
}

TEST(ManifestTest, MissingVersionDefaultsAndBadRuntimeFails) {
  auto m = ParseManifest(R"({"model": {"modelName": "a", "handler": "h"}})", "x.mar");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->model_version, "1.0");
  auto bad = ParseManifest(R"({"runtime": "java", "model": {"modelName": "a"}})", "x.mar");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("x.mar"), std::string::npos);
  EXPECT_FALSE(ParseManifest("{", "x.mar").ok());
  EXPECT_FALSE(ParseManifest(R"({"runtime": "python"})", "x.mar").ok());
}

TEST(ManifestTest, SerializesInArchiverLayout) {
  Manifest m;
  m.created_on = "17/03/2025 11:20:57";
  m.model_name = "densenet161";
  m.serialized_file = "model.pt";
  m.handler = "image_classifier";
  m.model_version = "1.0";
  m.archiver_version = "0.12.0";
  EXPECT_EQ(SerializeManifest(m),
            "{\n  \"createdOn\": \"17/03/2025 11:20:57\",\n  \"runtime\": \"python\",\n  \"model\": {\n"
            "    \"modelName\": \"densenet161\",\n    \"serializedFile\": \"model.pt\",\n"
            "    \"handler\": \"image_classifier\",\n    \"modelVersion\": \"1.0\"\n  },\n"
            "  \"archiverVersion\": \"0.12.0\"\n}");
}

TEST(ManifestTest, ModelNameRule) {
  EXPECT_TRUE(IsValidModelName("resnet-18"));
  EXPECT_TRUE(IsValidModelName("a.b_c-1"));
  EXPECT_FALSE(IsValidModelName("-x"));
  EXPECT_FALSE(IsValidModelName("a b"));
  EXPECT_FALSE(IsValidModelName(""));
  EXPECT_FALSE(IsValidModelName("a/b"));
}

TEST(ArchiveReaderTest, SafePaths) {
  EXPECT_TRUE(IsSafeEntryPath("a/b.txt"));
  EXPECT_TRUE(IsSafeEntryPath("MAR-INF/MANIFEST.json"));
  EXPECT_FALSE(IsSafeEntryPath("../evil"));
  EXPECT_FALSE(IsSafeEntryPath("a/../../evil"));
  EXPECT_FALSE(IsSafeEntryPath("/etc/passwd"));
  EXPECT_FALSE(IsSafeEntryPath(""));
}

TEST_F(ArchiveTest, ExtractsZipAndReadsManifest) {
  fs::path mar = MakeZip("m.mar", {{"model.pt", "weights"}, {"MAR-INF/MANIFEST.json", kManifest}});
  auto opened = OpenModelArchive(mar, Options());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE(opened->manifest);
  EXPECT_EQ(opened->manifest->model_name, "densenet161");
  EXPECT_EQ(*ReadFile(opened->model_dir / "model.pt"), "weights");
  EXPECT_FALSE(opened->extracted_dir.empty());
}

TEST_F(ArchiveTest, RefusesPathEscape) {
  fs::path mar = MakeZip("evil.mar", {{"../../escaped.txt", "x"}, {"MAR-INF/MANIFEST.json", kManifest}});
  auto opened = OpenModelArchive(mar, Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("unsafe entry"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "escaped.txt"));
  // The partial extraction is gone.
  EXPECT_TRUE(fs::is_empty(root_ / "extract"));
}

TEST_F(ArchiveTest, ZipBombLimit) {
  fs::path mar = MakeZip("big.mar", {{"model.pt", std::string(1 << 20, 'a')}, {"MAR-INF/MANIFEST.json", kManifest}});
  ExtractOptions o = Options();
  o.max_total_bytes = 1000;
  auto opened = OpenModelArchive(mar, o);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("exceeds the limit"), std::string::npos);
}

TEST_F(ArchiveTest, CorruptArchiveNamesFile) {
  std::ofstream(root_ / "bad.mar") << "PK\x03\x04garbage";
  auto opened = OpenModelArchive(root_ / "bad.mar", Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("bad.mar"), std::string::npos);
}

TEST_F(ArchiveTest, DirectoryUsedInPlaceAndLoneSubdirEntered) {
  fs::create_directories(root_ / "store" / "model" / "inner" / "MAR-INF");
  std::ofstream(root_ / "store" / "model" / "inner" / "MAR-INF" / "MANIFEST.json") << kManifest;
  auto opened = OpenModelArchive(root_ / "store" / "model", Options());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->model_dir, root_ / "store" / "model" / "inner");
  EXPECT_TRUE(opened->extracted_dir.empty());
}

TEST_F(ArchiveTest, MissingSourceIsNotFound) {
  auto opened = OpenModelArchive(root_ / "nope.mar", Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hearth::archive
