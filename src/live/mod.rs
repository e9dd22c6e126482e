//! Live Consul: the HTTP client, save and restore transfers, and the snapshot agent.

pub mod agent;
pub mod consul;
pub mod transfer;
