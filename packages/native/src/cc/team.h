// The engine's own threads. A minibatch runs as ONE parallel region (Team::run): every thread executes
// the same step code on its share of the work and meets the others at barriers — per time step inside
// a recurrence (the next step needs the whole hidden state), and between phases. How the work is cut
// does not depend on how many threads run it (net.cc), so any thread count computes the same bits. OpenBLAS runs
// single-threaded inside (each thread calls cblas_sgemm on its own slice): its own threading would
// fork and join inside every one of the ~100 small GEMMs of a layer's recurrence.
//
// Waiting spins for a few microseconds and then yields, so that a peer descheduled on a busy machine
// costs a time slice of yielding, not of spinning; idle workers block between minibatches.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rnnlab {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/** Spins `spins` times, then yields, until `done()`. */
template <typename F>
inline void waitUntil(F&& done, int spins = 2000) {
  for (int i = 0; !done(); i++) {
    if (i < spins)
      cpuRelax();
    else
      std::this_thread::yield();
  }
}

/** A reusable barrier for `n` threads (generation counting). */
class Barrier {
 public:
  explicit Barrier(int n = 1) : n_(n) {}
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;
  void reset(int n) {
    n_ = n;
    count_.store(0);
  }
  int size() const { return n_; }
  void wait() {
    if (n_ <= 1) return;
    const uint32_t gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      count_.store(0, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
    waitUntil([&] { return gen_.load(std::memory_order_acquire) != gen; });
  }

 private:
  int n_;
  alignas(64) std::atomic<int> count_{0};
  alignas(64) std::atomic<uint32_t> gen_{0};
};

class Team {
 public:
  /**
   * `capacity` threads in all (the caller and capacity − 1 workers); run() uses the first active() of
   * them. An idle worker spins `idleSpins` pauses for the next run before it sleeps.
   */
  explicit Team(int capacity, int idleSpins = 20000) : n_(capacity < 1 ? 1 : capacity), idleSpins_(idleSpins), active_(n_), barrier_(n_) {
    for (int r = 1; r < n_; r++) workers_.emplace_back([this, r] { loop(r); });
  }
  ~Team() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      round_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int capacity() const { return n_; }
  int active() const { return active_; }
  /** Threads the next runs use (1..capacity); call between runs. */
  void setActive(int k) {
    active_ = k < 1 ? 1 : (k > n_ ? n_ : k);
    barrier_.reset(active_);
  }
  /** A barrier across the active threads. */
  Barrier& barrier() { return barrier_; }

  /** Whether a worker is asleep between runs (the next run would first have to wake it). */
  bool asleep() const { return sleepers_.load(std::memory_order_acquire) > 0; }
  /** Wakes sleeping workers without work: they spin for the next run, which then does not wait for a wake-up. */
  void kick() {
    {
      std::lock_guard<std::mutex> lock(m_);
      kicks_.fetch_add(1, std::memory_order_relaxed);
    }
    cv_.notify_all();
  }

  /** Runs fn(rank) on every active thread, rank 0 on the caller; returns when all have finished. fn must not throw. */
  void run(const std::function<void(int)>& fn) {
    if (active_ == 1) return fn(0);
    done_.store(0, std::memory_order_relaxed);
    {
      // The round, its active count and its function are published together: a worker reads all
      // three under the same mutex, so it never pairs one round's function with another's count
      // (an idle worker could otherwise read active_ while setActive writes it for the next run).
      std::lock_guard<std::mutex> lock(m_);
      fn_ = &fn;
      runActive_ = active_;
      round_.fetch_add(1, std::memory_order_acq_rel);
    }
    cv_.notify_all();
    fn(0);
    waitUntil([&] { return done_.load(std::memory_order_acquire) == active_ - 1; });
  }

 private:
  void loop(int rank) {
    uint64_t seen = 0, seenKicks = 0;
    for (;;) {
      // Spin a little for the next minibatch (they follow each other closely), then sleep.
      for (int i = 0; i < idleSpins_ && round_.load(std::memory_order_acquire) == seen; i++) cpuRelax();
      const std::function<void(int)>* fn;
      int active;
      {
        std::unique_lock<std::mutex> lock(m_);
        if (round_.load(std::memory_order_relaxed) == seen) {
          sleepers_.fetch_add(1, std::memory_order_acq_rel);
          cv_.wait(lock, [&] { return round_.load(std::memory_order_relaxed) != seen || kicks_.load(std::memory_order_relaxed) != seenKicks; });
          sleepers_.fetch_sub(1, std::memory_order_acq_rel);
        }
        seenKicks = kicks_.load(std::memory_order_relaxed);
        if (round_.load(std::memory_order_relaxed) == seen) continue;  // kicked: spin for the run to come
        seen = round_.load(std::memory_order_relaxed);
        if (stop_) return;
        fn = fn_;
        active = runActive_;
      }
      if (rank >= active) continue;
      (*fn)(rank);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  const int n_;
  const int idleSpins_;
  int active_;
  Barrier barrier_;
  std::vector<std::thread> workers_;
  // Written only under m_, with round_ (see run()).
  const std::function<void(int)>* fn_ = nullptr;
  int runActive_ = 1;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  alignas(64) std::atomic<uint64_t> round_{0};
  alignas(64) std::atomic<int> done_{0};
  std::atomic<uint64_t> kicks_{0};  // written under m_, with notify: see kick()
  std::atomic<int> sleepers_{0};
};

}  // namespace rnnlab
