//! A progress bar on stderr for long reads: bytes, rate and ETA, shown only on a terminal,
//! only after the first second, and never with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use snapinspect::snapshot::archive::Input;

/// Shows progress of one read while alive.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts watching `counter` (input bytes read); returns a guard that ends the display.
    pub fn start(input: &Input, counter: Arc<AtomicU64>, quiet: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { stop, handle: None };
        }
        let total = match input {
            Input::Archive(p) => std::fs::metadata(p).map(|m| m.len()).ok(),
            Input::Raw { state, .. } => std::fs::metadata(state).map(|m| m.len()).ok(),
            Input::Stdin => None,
        };
        let flag = stop.clone();
        let handle =
            thread::spawn(move || {
                let start = Instant::now();
                let mut bar: Option<ProgressBar> = None;
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(100));
                    if bar.is_none() && start.elapsed() >= Duration::from_secs(1) {
                        let b = match total {
                        Some(t) => ProgressBar::new(t).with_style(
                            ProgressStyle::with_template(
                                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                            )
                            .expect("valid template"),
                        ),
                        None => ProgressBar::new_spinner().with_style(
                            ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}")
                                .expect("valid template"),
                        ),
                    };
                        bar = Some(b);
                    }
                    if let Some(b) = &bar {
                        b.set_position(counter.load(Ordering::Relaxed));
                    }
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
