#pragma once
// How processes that run models keep their large blocks.
//
// glibc hands blocks over 128 KiB back to the kernel when they are freed and
// trims the heap's top. An image model's input and activations (0.6 MB each
// at 224x224) then fault in page by page on every call, and on these
// paravirtualised machines a page fault costs ~10 us: a small CNN's forward
// measured 6x slower (0.25 -> 1.5 ms, ~110 faults per call) in about half of
// the process starts (which half depends on address-space randomisation).
// Keeping such blocks in the heap removes the faults; 32 MiB is glibc's
// largest mmap threshold.

#include <string>
#include <vector>

namespace hearth {

inline constexpr long kHeapMmapThresholdBytes = 32L << 20;
inline constexpr long kHeapTrimThresholdBytes = 256L << 20;

// True when the user set either glibc variable: their choice wins.
bool UserSetsHeapVariables();

// The environment entries ("NAME=value") that give a child process the heap
// setting above; empty when the user set either variable.
std::vector<std::string> HeapEnvironment();

// The same setting for this process (mallopt); does nothing when the user
// set either variable (glibc has read them already).
void KeepLargeBlocksInHeap();

}  // namespace hearth
