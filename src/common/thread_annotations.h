#pragma once
// Clang's thread-safety analysis (-Wthread-safety) for Hearth's locks:
// annotated Mutex / SharedMutex and their scoped locks, and macros saying
// which data a mutex guards and which functions need it held. GCC (the
// main build) ignores the attributes; tests/static/thread_safety.py
// compiles the core with clang and -Werror=thread-safety, so a member read
// without its lock is a failing test.
//
//   Mutex mu_;
//   int count_ HEARTH_GUARDED_BY(mu_);
//   void BumpLocked() HEARTH_REQUIRES(mu_);
//   { MutexLock lock(mu_); ++count_; }

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define HEARTH_TSA(x) __attribute__((x))
#else
#define HEARTH_TSA(x)
#endif

#define HEARTH_CAPABILITY(x) HEARTH_TSA(capability(x))
#define HEARTH_SCOPED_CAPABILITY HEARTH_TSA(scoped_lockable)
#define HEARTH_GUARDED_BY(x) HEARTH_TSA(guarded_by(x))
#define HEARTH_PT_GUARDED_BY(x) HEARTH_TSA(pt_guarded_by(x))
#define HEARTH_REQUIRES(...) HEARTH_TSA(requires_capability(__VA_ARGS__))
#define HEARTH_REQUIRES_SHARED(...) HEARTH_TSA(requires_shared_capability(__VA_ARGS__))
#define HEARTH_ACQUIRE(...) HEARTH_TSA(acquire_capability(__VA_ARGS__))
#define HEARTH_ACQUIRE_SHARED(...) HEARTH_TSA(acquire_shared_capability(__VA_ARGS__))
#define HEARTH_RELEASE(...) HEARTH_TSA(release_capability(__VA_ARGS__))
#define HEARTH_RELEASE_SHARED(...) HEARTH_TSA(release_shared_capability(__VA_ARGS__))
#define HEARTH_RELEASE_GENERIC(...) HEARTH_TSA(release_generic_capability(__VA_ARGS__))
#define HEARTH_EXCLUDES(...) HEARTH_TSA(locks_excluded(__VA_ARGS__))
#define HEARTH_NO_THREAD_SAFETY_ANALYSIS HEARTH_TSA(no_thread_safety_analysis)

namespace hearth {

class HEARTH_CAPABILITY("mutex") Mutex {
 public:
  void lock() HEARTH_ACQUIRE() { mu_.lock(); }
  void unlock() HEARTH_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class HEARTH_CAPABILITY("mutex") SharedMutex {
 public:
  void lock() HEARTH_ACQUIRE() { mu_.lock(); }
  void unlock() HEARTH_RELEASE() { mu_.unlock(); }
  void lock_shared() HEARTH_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() HEARTH_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds `mu` exclusively for its scope; Unlock() lets go early (once).
template <typename M>
class HEARTH_SCOPED_CAPABILITY ExclusiveLock {
 public:
  explicit ExclusiveLock(M& mu) HEARTH_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~ExclusiveLock() HEARTH_RELEASE() {
    if (held_) mu_.unlock();
  }
  void Unlock() HEARTH_RELEASE() {
    held_ = false;
    mu_.unlock();
  }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  M& mu_;
  bool held_ = true;
};
using MutexLock = ExclusiveLock<Mutex>;
using WriterLock = ExclusiveLock<SharedMutex>;  // exclusive hold of a SharedMutex

// Shared hold of a SharedMutex.
class HEARTH_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) HEARTH_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() HEARTH_RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace hearth
