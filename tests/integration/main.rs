//! The integration tests: one binary (linked once), a module per area of behaviour, the
//! helpers they share in `util`.

mod util;

mod acl;
mod acl_polish;
mod agent_dropin;
mod agent_faults;
mod archive_errors;
mod compat;
mod consul_compat;
mod decode;
mod diff;
mod faults;
mod fuzz_regressions;
mod hostile;
mod insight;
mod inspect_cli;
mod inspect_goldens;
mod layers;
mod live;
mod mutations;
mod nomad;
mod operator;
mod oracle;
mod progress;
mod redact;
mod restorable;
mod save_damaged;
mod scan;
mod schemas;
mod secrets;
mod storage;
mod storage_agent;
mod storage_clouds;
mod trend;
mod vault;
mod verify;
mod writer;
