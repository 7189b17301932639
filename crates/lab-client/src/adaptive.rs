//! Adaptive concurrency: how many jobs (task creations, task pages) to keep in flight.
//!
//! A fixed number fits one link only: on a long thin link (high round-trip time) more jobs
//! must be in flight to keep it busy, on a saturated one or a busy server more only queue.
//! [`Limiter`] follows TCP Vegas: each finished job gives its latency; the lowest seen is the
//! job's unloaded latency `base`; with `n` jobs in flight and a smoothed latency `rtt`, about
//! `n × (1 − base / rtt)` of them are waiting in a queue somewhere (the link, the server).
//! Few queued: one more in flight (one per job in slow start, ~one per round otherwise); many
//! queued: a tenth less. An overload signal (a 429, a 5xx, a timeout) halves the limit. The
//! limit stays within `[1, max]`; latency alone never takes it under `floor`.

use std::sync::Mutex;
use std::time::Duration;

/// Adaptive (or fixed) concurrency limit. Shared by the jobs of one operation.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    floor: usize,
    adaptive: bool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limit: f64,
    /// Lowest latency seen (seconds): the unloaded latency.
    base: Option<f64>,
    /// Smoothed latency (seconds).
    smoothed: Option<f64>,
    slow_start: bool,
    /// Samples since the limit last went down (a decrease waits for a round of samples
    /// taken at the new limit).
    since_decrease: usize,
    /// Highest limit reached.
    peak: usize,
    /// Overload signals seen.
    overloads: u64,
}

/// Weight of a new latency sample in the smoothed latency.
const SMOOTHING: f64 = 0.2;

impl Limiter {
    /// An adaptive limit starting at `initial`, never above `max` (at least 1).
    pub fn adaptive(initial: usize, max: usize) -> Self {
        let max = max.max(1);
        let initial = initial.clamp(1, max);
        Self {
            max,
            floor: initial.min(4),
            adaptive: true,
            state: Mutex::new(State {
                limit: initial as f64,
                base: None,
                smoothed: None,
                slow_start: true,
                since_decrease: 0,
                peak: initial,
                overloads: 0,
            }),
        }
    }

    /// Always `n` in flight (at least 1): what `--concurrency N` with a fixed limit asks.
    pub fn fixed(n: usize) -> Self {
        let mut l = Self::adaptive(n, n);
        l.adaptive = false;
        l
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Jobs allowed in flight now.
    pub fn limit(&self) -> usize {
        (self.state().limit.floor() as usize).clamp(1, self.max)
    }

    /// Highest limit reached so far.
    pub fn peak(&self) -> usize {
        self.state().peak
    }

    /// Overload signals received so far.
    pub fn overloads(&self) -> u64 {
        self.state().overloads
    }

    /// A job finished in `latency`, with `in_flight` jobs running (itself included) when it
    /// finished.
    pub fn record(&self, latency: Duration, in_flight: usize) {
        if !self.adaptive {
            return;
        }
        let sample = latency.as_secs_f64().max(1e-6);
        let mut s = self.state();
        let base = s.base.map_or(sample, |b| b.min(sample));
        s.base = Some(base);
        let rtt = s.smoothed.map_or(sample, |r| r + SMOOTHING * (sample - r));
        s.smoothed = Some(rtt);
        s.since_decrease += 1;
        let limit = s.limit;
        // Jobs queued somewhere rather than being served.
        let queued = in_flight as f64 * (1.0 - base / rtt).max(0.0);
        let alpha = 3.0 + limit / 10.0;
        let beta = 6.0 + limit / 5.0;
        if queued > beta {
            s.slow_start = false;
            if s.since_decrease as f64 >= limit {
                s.limit = (limit * 0.9).max(self.floor as f64);
                s.since_decrease = 0;
            }
        } else if queued < alpha && in_flight as f64 + 1.0 >= limit.floor() {
            // Only a limit in use grows (a run with fewer jobs left says nothing about it).
            let step = if s.slow_start { 1.0 } else { 1.0 / limit };
            s.limit = (limit + step).min(self.max as f64);
        }
        s.peak = s.peak.max(s.limit.floor() as usize);
    }

    /// The server or the link is overloaded (429, 5xx, timeout): halve the limit, once per
    /// round of jobs.
    pub fn overload(&self) {
        let mut s = self.state();
        s.overloads += 1;
        if !self.adaptive {
            return;
        }
        s.slow_start = false;
        if s.since_decrease as f64 >= s.limit / 2.0 {
            s.limit = (s.limit / 2.0).max(1.0);
            s.since_decrease = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Simulates `samples` finished jobs on a path where a job takes `rtt` alone and that
    /// serves at most `capacity` jobs at once (beyond, jobs queue: latency grows with the jobs
    /// in flight), the pipeline keeping as many in flight as the limit allows.
    fn simulate(l: &Limiter, rtt: u64, capacity: usize, samples: usize) {
        for _ in 0..samples {
            let n = l.limit();
            let latency = if n <= capacity {
                rtt
            } else {
                rtt * n as u64 / capacity as u64
            };
            l.record(ms(latency), n);
        }
    }

    #[test]
    fn grows_to_the_maximum_while_latency_stays_flat() {
        // a long link, no bandwidth limit: every job takes 50 ms whatever the concurrency
        let l = Limiter::adaptive(8, 64);
        simulate(&l, 50, usize::MAX, 100);
        assert_eq!(l.limit(), 64);
        assert_eq!(l.peak(), 64);
    }

    #[test]
    fn settles_near_what_the_path_can_serve() {
        // a path that serves 12 jobs at once: more in flight only queue
        let l = Limiter::adaptive(8, 64);
        simulate(&l, 50, 12, 2000);
        let n = l.limit();
        assert!((12..=24).contains(&n), "settled at {n}");
        // a thinner path (3 at once, e.g. big uploads on a saturated link): far fewer in
        // flight, though its first latencies, seen at 8 in flight, were already queued ones
        // (the unloaded latency is never seen: the limit settles above the path's 3, which
        // costs nothing on a saturated link); latency alone never goes under the floor (4)
        let l = Limiter::adaptive(8, 64);
        simulate(&l, 1000, 3, 2000);
        let n = l.limit();
        assert!((4..=20).contains(&n), "settled at {n}");
    }

    #[test]
    fn overload_halves_once_per_round_down_to_one() {
        let l = Limiter::adaptive(16, 64);
        for _ in 0..16 {
            l.record(ms(50), 16);
        }
        let before = l.limit();
        l.overload();
        assert_eq!(l.limit(), before / 2);
        // the same burst of 429s counts once
        l.overload();
        l.overload();
        assert_eq!(l.limit(), before / 2);
        assert_eq!(l.overloads(), 3);
        for _ in 0..20 {
            for _ in 0..l.limit() {
                l.record(ms(50), l.limit());
            }
            l.overload();
        }
        // halved each round, one more per round in between: one or two in flight
        assert!(l.limit() <= 2, "{}", l.limit());
    }

    #[test]
    fn an_unused_limit_does_not_grow() {
        let l = Limiter::adaptive(8, 64);
        for _ in 0..100 {
            l.record(ms(50), 2);
        }
        assert_eq!(l.limit(), 8);
    }

    #[test]
    fn fixed_stays_fixed() {
        let l = Limiter::fixed(8);
        simulate(&l, 50, usize::MAX, 100);
        l.overload();
        assert_eq!(l.limit(), 8);
        assert_eq!(l.overloads(), 1);
        assert_eq!(Limiter::fixed(0).limit(), 1);
    }
}
