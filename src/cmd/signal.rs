//! SIGINT and SIGTERM. Commands that stop themselves (save, restore, unpack, the agent)
//! watch a flag: the first signal sets it, the command cancels what it was doing within a
//! second, removes its temp files and exits; if it has not within a few seconds, or at a
//! second signal, the handler removes every registered temp file and exits 130. Any other
//! command is ended at once, its temp files removed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use snapinspect::write::TempFiles;

/// Exit code of a command ended by a signal.
pub const EXIT_INTERRUPTED: i32 = 130;

static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));
/// The process's temp files: every write of every command registers here.
static TEMP_FILES: LazyLock<Arc<TempFiles>> = LazyLock::new(|| Arc::new(TempFiles::new()));
static GRACEFUL: AtomicBool = AtomicBool::new(false);

/// How long a command that stops itself has before the handler ends the process.
const GRACE: Duration = Duration::from_millis(4500);

/// Installs the handler (once, at start).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let second = STOP.swap(true, Ordering::SeqCst);
        if GRACEFUL.load(Ordering::SeqCst) && !second {
            // The command stops itself; this is only the safety net.
            std::thread::spawn(|| {
                std::thread::sleep(GRACE);
                TEMP_FILES.remove_all();
                std::process::exit(EXIT_INTERRUPTED);
            });
            return;
        }
        TEMP_FILES.remove_all();
        std::process::exit(EXIT_INTERRUPTED);
    });
}

/// The flag the first signal sets; the caller promises to watch it and stop by itself.
pub fn stop_flag() -> Arc<AtomicBool> {
    GRACEFUL.store(true, Ordering::SeqCst);
    STOP.clone()
}

/// The registry every write of this process stages its temp files in.
pub fn temp_files() -> Arc<TempFiles> {
    TEMP_FILES.clone()
}

/// True once a signal came.
pub fn stopped() -> bool {
    STOP.load(Ordering::SeqCst)
}
