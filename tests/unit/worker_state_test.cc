#include <gtest/gtest.h>

#include "core/worker_slot.h"

namespace hearth::core {
namespace {

using S = WorkerState;

TEST(WorkerStateTest, FinalStatesHaveNoWayOut) {
  for (S to : {S::kStarting, S::kReady, S::kBusy, S::kRestartWait, S::kStopping, S::kStopped, S::kFailed}) {
    EXPECT_FALSE(IsLegalTransition(S::kStopped, to));
    EXPECT_FALSE(IsLegalTransition(S::kFailed, to));
  }
}

TEST(WorkerStateTest, TheServingCycle) {
  EXPECT_TRUE(IsLegalTransition(S::kStarting, S::kReady));
  EXPECT_TRUE(IsLegalTransition(S::kReady, S::kBusy));
  EXPECT_TRUE(IsLegalTransition(S::kBusy, S::kReady));
  EXPECT_TRUE(IsLegalTransition(S::kBusy, S::kRestartWait));  // crash mid-batch
  EXPECT_TRUE(IsLegalTransition(S::kRestartWait, S::kStarting));
  EXPECT_TRUE(IsLegalTransition(S::kBusy, S::kStopping));     // retired while busy
  EXPECT_TRUE(IsLegalTransition(S::kStopping, S::kStopped));
}

TEST(WorkerStateTest, ShortcutsThatWouldSkipALoadAreIllegal) {
  EXPECT_FALSE(IsLegalTransition(S::kStarting, S::kBusy));      // a batch before the model loaded
  EXPECT_FALSE(IsLegalTransition(S::kRestartWait, S::kReady));  // ready without a process
  EXPECT_FALSE(IsLegalTransition(S::kRestartWait, S::kBusy));
  EXPECT_FALSE(IsLegalTransition(S::kStopping, S::kReady));     // a stopping worker takes no more work
  EXPECT_FALSE(IsLegalTransition(S::kStopping, S::kBusy));
  EXPECT_FALSE(IsLegalTransition(S::kReady, S::kStarting));
}

TEST(WorkerStateTest, TorchServeNames) {
  EXPECT_STREQ(WorkerStateName(S::kBusy), "READY");
  EXPECT_STREQ(WorkerStateName(S::kRestartWait), "UNLOADING");
  EXPECT_STREQ(WorkerStateName(S::kFailed), "FAILED");
}

}  // namespace
}  // namespace hearth::core
