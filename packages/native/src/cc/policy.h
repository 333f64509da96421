// Which thread schedule runs a minibatch (net.cc): pure bookkeeping over timings, no clocks and no
// threads of its own, so a test can drive it with made-up costs (addon.cc: simulatePolicy).
//
// The schedules compute the same bits, and a training step is a pure function of its inputs (every
// output written in full, nothing read that it wrote before), so a minibatch may be run several times
// and on several schedules: the last run's results are the ones kept, and they are the same as any
// other's. That lets the engine TUNE before it trains — its first minibatch runs on every candidate in
// turn, three times in a row, the last two timed (a schedule's first run after another's wakes its
// threads and warms its caches, and is not what it then keeps up) — instead of spreading trials over the
// first epochs, where a trial of the slow schedule costs a short job a visible share of an epoch.
//
// Afterwards the chosen schedule runs, timed (an exponential average). It is CHECKED against the
// others — in the same minibatch, a run of the other to warm it, one timed, then the same for the
// chosen one — when its recent time (its last 5 minibatches, the fastest and slowest left out, so one
// stalled minibatch is not a change of load) moves by a third from what it was over its first
// minibatches alone or when last checked (the machine's load changed; at
// most every 20 minibatches, a gap each confirmation doubles), and otherwise rarely (after 100
// minibatches, then 200, 400, ... up to 1,600). A check that finds another faster switches to it. One
// thread must beat several by 10 %: on several threads the first runs after a wait pay for waking
// them, which a timed run underestimates.
#pragma once
#include <cstddef>
#include <array>
#include <cstdint>
#include <vector>

namespace rnnlab {

struct Schedule {
  int threads;
  bool pipeline;
};

class ThreadPolicy {
 public:
  /** One run of the minibatch: a candidate, and whether its time counts. */
  struct Run {
    int pick;
    bool timed;
  };

  void reset(std::vector<Schedule> candidates);
  bool empty() const { return candidates_.empty(); }
  const Schedule& candidate(int i) const { return candidates_[size_t(i)]; }
  int size() const { return int(candidates_.size()); }
  /** The chosen candidate (−1 before the first plan). */
  int best() const { return best_; }

  /**
   * The runs of the next minibatch, in order (the last one's results are kept). `repeatable`: whether
   * this minibatch may run more than once (false when its inputs and outputs overlap); when it may not,
   * only the chosen candidate runs, once.
   */
  const std::vector<Run>& plan(bool repeatable);
  /** The seconds per token of each run of the last plan, in its order (untimed ones ignored). */
  void observe(const std::vector<double>& secondsPerToken);

  /** A warm start: the choice and its time from an earlier net of the same shape (no tuning then). */
  void adopt(int best, double secondsPerToken);
  /** The chosen candidate's time (seconds per token), 0 before any. */
  double bestTime() const { return best_ >= 0 ? average_ : 0.0; }

  static constexpr long kFirstCheck = 100, kLastInterval = 1600, kEarliestTriggered = 20, kRecent = 5;
  static constexpr double kDrift = 1.0 / 3.0, kOneThreadMargin = 1.10, kAverage = 0.2;

 private:
  double cost(int i, double secondsPerToken) const;
  /** The chosen candidate's recent time: its last kRecent runs, the fastest and slowest left out. */
  double recentTime() const;
  void choose(int i, double secondsPerToken);

  std::vector<Schedule> candidates_;
  std::vector<Run> plan_;
  enum class Phase { Tune, Run, Check } phase_ = Phase::Tune;
  int best_ = -1, alt_ = 0;
  long steps_ = 0, chosenAt_ = 0, nextCheck_ = 0, interval_ = kFirstCheck, checks_ = 0;
  long gap_ = kEarliestTriggered;  // the fewest minibatches between a choice and a check its drift triggers
  double average_ = 0, reference_ = 0;
  std::array<double, kRecent> recent_{};  // the choice's last runs (a ring)
  long recentCount_ = 0;                  // runs of the choice observed since it was chosen (from kRecent on, reference_ is its own time)
};

}  // namespace rnnlab
