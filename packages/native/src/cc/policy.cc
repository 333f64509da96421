// See policy.h.
#include "policy.h"

#include <algorithm>
#include <cmath>

namespace rnnlab {

void ThreadPolicy::reset(std::vector<Schedule> candidates) {
  candidates_ = std::move(candidates);
  plan_.clear();
  phase_ = Phase::Tune;
  best_ = -1;
  alt_ = 0;
  steps_ = chosenAt_ = nextCheck_ = checks_ = 0;
  interval_ = kFirstCheck;
  gap_ = kEarliestTriggered;
  average_ = reference_ = 0;
  recentCount_ = 0;
}

double ThreadPolicy::cost(int i, double secondsPerToken) const {
  return candidates_[size_t(i)].threads == 1 && size() > 1 ? secondsPerToken * kOneThreadMargin : secondsPerToken;
}

void ThreadPolicy::choose(int i, double secondsPerToken) {
  best_ = i;
  average_ = reference_ = secondsPerToken;
  phase_ = Phase::Run;
  chosenAt_ = steps_;
  recentCount_ = 0;
}

double ThreadPolicy::recentTime() const {
  // The mean of the last kRecent runs without their fastest and slowest: one minibatch the machine
  // stalled (a run at four times the others' time was seen) moves it by nothing.
  const int n = int(std::min<long>(recentCount_, kRecent));
  if (n == 0) return average_;
  double sum = 0, lo = recent_[0], hi = recent_[0];
  for (int i = 0; i < n; i++) {
    sum += recent_[size_t(i)];
    lo = std::min(lo, recent_[size_t(i)]);
    hi = std::max(hi, recent_[size_t(i)]);
  }
  return n < 3 ? lo : (sum - lo - hi) / (n - 2);
}

void ThreadPolicy::adopt(int best, double secondsPerToken) {
  if (best < 0 || best >= size()) return;
  choose(best, secondsPerToken);
  nextCheck_ = steps_ + interval_;
}

const std::vector<ThreadPolicy::Run>& ThreadPolicy::plan(bool repeatable) {
  steps_++;
  plan_.clear();
  const int n = size();
  if (n <= 1 || !repeatable) {
    // One run, timed: the chosen candidate (the first before any choice).
    phase_ = best_ < 0 ? Phase::Tune : Phase::Run;
    plan_.push_back({best_ < 0 ? 0 : best_, true});
    return plan_;
  }
  if (best_ < 0) {
    // Every candidate three times in a row, the first run untimed: it allocates (the first candidate's)
    // and wakes the schedule's threads. A schedule timed right after another's is not what it runs at:
    // on a virtual machine a second core left idle for a few milliseconds took three times as long
    // over the next run of two threads.
    phase_ = Phase::Tune;
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) plan_.push_back({i, k > 0});
    return plan_;
  }
  const bool drifted = recentCount_ >= kRecent && std::fabs(recentTime() / reference_ - 1.0) > kDrift && steps_ - chosenAt_ >= gap_;
  if (steps_ >= nextCheck_ || drifted) {
    phase_ = Phase::Check;
    alt_ = (best_ + 1 + int(checks_++ % (n - 1))) % n;
    plan_.push_back({alt_, false});
    plan_.push_back({alt_, true});
    plan_.push_back({best_, false});
    plan_.push_back({best_, true});
    return plan_;
  }
  phase_ = Phase::Run;
  plan_.push_back({best_, true});
  return plan_;
}

void ThreadPolicy::observe(const std::vector<double>& secondsPerToken) {
  const int n = size();
  if (n == 0 || secondsPerToken.size() != plan_.size()) return;
  switch (phase_) {
    case Phase::Tune: {
      if (plan_.size() == 1) {
        // Not repeatable (or a single candidate): what ran is chosen, with its time.
        choose(plan_[0].pick, secondsPerToken[0]);
        nextCheck_ = steps_ + interval_;
        return;
      }
      // Each candidate's mean over its timed runs (a minimum would set the reference below what the
      // schedule then keeps up, and the drift would trigger checks on noise).
      std::vector<double> sum(size_t(n), 0.0), count(size_t(n), 0.0);
      for (size_t r = 0; r < plan_.size(); r++)
        if (plan_[r].timed) {
          sum[size_t(plan_[r].pick)] += secondsPerToken[r];
          count[size_t(plan_[r].pick)] += 1;
        }
      auto mean = [&](int i) { return sum[size_t(i)] / count[size_t(i)]; };
      int best = 0;
      for (int i = 1; i < n; i++)
        if (cost(i, mean(i)) < cost(best, mean(best))) best = i;
      choose(best, mean(best));
      nextCheck_ = steps_ + interval_;
      return;
    }
    case Phase::Run:
      if (recentCount_ == 0) average_ = secondsPerToken.back();
      else average_ += kAverage * (secondsPerToken.back() - average_);
      recent_[size_t(recentCount_++ % kRecent)] = secondsPerToken.back();
      // What drift is measured from is the choice's own time over its first minibatches alone, not the
      // tuning's few runs.
      if (recentCount_ == kRecent) reference_ = recentTime();
      return;
    case Phase::Check: {
      const double alt = secondsPerToken[1], mine = secondsPerToken[3];
      if (cost(alt_, alt) < cost(best_, mine)) {
        // Another is faster now: it runs from here, checked again soon.
        choose(alt_, alt);
        interval_ = kFirstCheck;
        gap_ = kEarliestTriggered;
      } else {
        // Confirmed: measured against the load of now, checked again later (each confirmation doubles the wait).
        reference_ = recentTime();
        chosenAt_ = steps_;
        interval_ = std::min(interval_ * 2, kLastInterval);
        gap_ = std::min(gap_ * 2, kLastInterval);
      }
      nextCheck_ = steps_ + interval_;
      return;
    }
  }
}

}  // namespace rnnlab
