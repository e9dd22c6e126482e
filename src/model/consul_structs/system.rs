//! Legacy ACLs, autopilot, intentions, Connect CA state and the index table.

use super::*;

// ---- Legacy ACLs, autopilot, intentions, Connect CA, index (types 4, 9, 11-16) ----

/// `structs.ACL` (legacy ACL token).
pub static ACL: Struct = Struct {
    name: "structs.ACL",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Type", Go::Str),
        f("Rules", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLBootstrap` (legacy bootstrap record).
pub static ACL_BOOTSTRAP: Struct = Struct {
    name: "structs.ACLBootstrap",
    fields: &[f("AllowBootstrap", Go::Bool), RAFT_INDEX[0], RAFT_INDEX[1]],
};

/// `autopilot.Config` (Consul's own `agent/consul/autopilot`, not raft-autopilot).
pub static AUTOPILOT_CONFIG: Struct = Struct {
    name: "autopilot.Config",
    fields: &[
        f("CleanupDeadServers", Go::Bool),
        f("LastContactThreshold", Go::Int(64)),
        f("MaxTrailingLogs", Go::Uint(64)),
        f("MinQuorum", Go::Uint(64)),
        f("ServerStabilizationTime", Go::Int(64)),
        f("RedundancyZoneTag", Go::Str),
        f("DisableUpgradeMigration", Go::Bool),
        f("UpgradeVersionTag", Go::Str),
        f("CreateIndex", Go::Uint(64)),
        f("ModifyIndex", Go::Uint(64)),
    ],
};

/// `structs.Intention`.
pub static INTENTION: Struct = Struct {
    name: "structs.Intention",
    fields: &[
        f("ID", Go::Str),
        f("Description", Go::Str),
        f("SourceNS", Go::Str),
        f("SourceName", Go::Str),
        f("DestinationNS", Go::Str),
        f("DestinationName", Go::Str),
        f("SourceType", Go::Str),
        f("Action", Go::Str),
        f("DefaultAddr", Go::Str),
        f("DefaultPort", Go::Int(64)),
        f("Meta", STR_MAP),
        f("Precedence", Go::Int(64)),
        f("CreatedAt", Go::Time),
        f("UpdatedAt", Go::Time),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CARoot`.
pub static CA_ROOT: Struct = Struct {
    name: "structs.CARoot",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("SerialNumber", Go::Uint(64)),
        f("SigningKeyID", Go::Str),
        f("ExternalTrustDomain", Go::Str),
        f("NotBefore", Go::Time),
        f("NotAfter", Go::Time),
        f("RootCert", Go::Str),
        f("IntermediateCerts", STR_SLICE),
        f("SigningCert", Go::Str),
        f("SigningKey", Go::Str),
        f("Active", Go::Bool),
        f("RotatedOutAt", Go::Time),
        f("PrivateKeyType", Go::Str),
        f("PrivateKeyBits", Go::Int(64)),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CAConsulProviderState`.
pub static CA_CONSUL_PROVIDER_STATE: Struct = Struct {
    name: "structs.CAConsulProviderState",
    fields: &[
        f("ID", Go::Str),
        f("PrivateKey", Go::Str),
        f("RootCert", Go::Str),
        f("IntermediateCert", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.CAConfiguration`.
pub static CA_CONFIGURATION: Struct = Struct {
    name: "structs.CAConfiguration",
    fields: &[
        f("ClusterID", Go::Str),
        f("Provider", Go::Str),
        f("Config", ANY_MAP),
        f("State", STR_MAP),
        f("ForceWithoutCrossSigning", Go::Bool),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `state.IndexEntry`.
pub static INDEX_ENTRY: Struct = Struct {
    name: "state.IndexEntry",
    fields: &[f("Key", Go::Str), f("Value", Go::Uint(64))],
};
