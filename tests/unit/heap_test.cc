#include "common/heap.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>

namespace hearth {
namespace {

// Sets or clears an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(Heap, ChildEnvironmentKeepsLargeBlocksInTheHeap) {
  ScopedEnv mmap("MALLOC_MMAP_THRESHOLD_", nullptr);
  ScopedEnv trim("MALLOC_TRIM_THRESHOLD_", nullptr);
  EXPECT_FALSE(UserSetsHeapVariables());
  EXPECT_EQ(HeapEnvironment(),
            (std::vector<std::string>{"MALLOC_MMAP_THRESHOLD_=33554432", "MALLOC_TRIM_THRESHOLD_=268435456"}));
}

TEST(Heap, TheUsersOwnSettingWins) {
  ScopedEnv mmap("MALLOC_MMAP_THRESHOLD_", nullptr);
  ScopedEnv trim("MALLOC_TRIM_THRESHOLD_", "1048576");
  EXPECT_TRUE(UserSetsHeapVariables());
  EXPECT_TRUE(HeapEnvironment().empty());
}

TEST(Heap, ThisProcessAllocatesMegabytesFromTheHeap) {
  if (UserSetsHeapVariables()) GTEST_SKIP() << "MALLOC_* set in the environment: glibc follows it";
  KeepLargeBlocksInHeap();
  const size_t mapped_before = mallinfo2().hblkhd;
  void* block = std::malloc(4 << 20);  // far above glibc's default 128 KiB threshold
  ASSERT_NE(block, nullptr);
  static_cast<volatile char*>(block)[0] = 1;
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "a 4 MiB block was mmapped";
  std::free(block);
}

}  // namespace
}  // namespace hearth
