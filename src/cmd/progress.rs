//! One progress display on stderr for every long run: what is being read, the phase, percent,
//! and a rate and ETA computed from the real elapsed time since the work began. Shown only on
//! a terminal, only after the first second (`SNAPINSPECT_PROGRESS_AFTER_MS` changes that, for
//! tests), and never with `-q`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};
use snapinspect::snapshot::archive::Input;

/// What the counter counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes read or written.
    Bytes,
    /// Files finished.
    Files,
}

/// What a progress display shows.
#[derive(Clone, Debug)]
pub struct Spec {
    /// What is being worked on (a file name).
    pub label: String,
    /// The total the counter will reach, when known.
    pub total: Option<u64>,
    /// Names of the passes, in order; the counter starting again from zero begins the next.
    pub phases: Vec<String>,
    /// What the counter counts.
    pub unit: Unit,
}

impl Spec {
    /// One read of `input`, its size from the file system.
    pub fn reading(input: &Input) -> Spec {
        Spec {
            label: input.display(),
            total: input_size(input),
            phases: vec!["reading".into()],
            unit: Unit::Bytes,
        }
    }
}

/// Size of what reading `input` will count (the file, or state.bin of a raft directory).
pub fn input_size(input: &Input) -> Option<u64> {
    match input {
        Input::Archive(p) => std::fs::metadata(p).map(|m| m.len()).ok(),
        Input::Raw { state, .. } => std::fs::metadata(state).map(|m| m.len()).ok(),
        Input::Stdin | Input::Url(_) => None,
    }
}

/// Shows progress while alive.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn amount(unit: Unit, n: u64) -> String {
    match unit {
        Unit::Bytes => HumanBytes(n).to_string(),
        Unit::Files => format!("{n} files"),
    }
}

impl Progress {
    /// Starts watching `counter`; returns a guard that ends the display when dropped.
    pub fn start(spec: Spec, counter: Arc<AtomicU64>, quiet: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { stop, handle: None };
        }
        let after = std::env::var("SNAPINSPECT_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(1));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let start = Instant::now();
            let mut bar: Option<ProgressBar> = None;
            // Passes: the counter restarting from zero begins the next phase.
            let (mut done_before, mut last, mut phase) = (0u64, 0u64, 0usize);
            while !flag.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(100));
                let now = counter.load(Ordering::Relaxed);
                if now < last {
                    done_before += last;
                    phase += 1;
                }
                last = now;
                if bar.is_none() && start.elapsed() >= after {
                    let b = match spec.total {
                        Some(t) => ProgressBar::new(t),
                        None => ProgressBar::new_spinner(),
                    };
                    let template = match spec.total {
                        Some(_) => "{prefix} {bar:24} {percent:>3}% {msg}",
                        None => "{prefix} {spinner} {msg}",
                    };
                    b.set_style(ProgressStyle::with_template(template).expect("valid template"));
                    b.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                    bar = Some(b);
                }
                let Some(b) = &bar else { continue };
                let pos = done_before + now;
                let elapsed = start.elapsed().as_secs_f64().max(1e-3);
                let rate = pos as f64 / elapsed;
                let phase_name = spec
                    .phases
                    .get(phase)
                    .or(spec.phases.last())
                    .cloned()
                    .unwrap_or_default();
                b.set_prefix(format!("{phase_name} {}", spec.label));
                b.set_position(pos.min(spec.total.unwrap_or(u64::MAX)));
                let eta = match spec.total {
                    Some(t) if rate > 0.0 && t > pos => {
                        format!(
                            " ETA {}",
                            HumanDuration(Duration::from_secs_f64((t - pos) as f64 / rate))
                        )
                    }
                    _ => String::new(),
                };
                let of_total = spec
                    .total
                    .map(|t| format!("/{}", amount(spec.unit, t)))
                    .unwrap_or_default();
                b.set_message(format!(
                    "{}{of_total} {}/s{eta}",
                    amount(spec.unit, pos),
                    amount(spec.unit, rate as u64)
                ));
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        Progress {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
