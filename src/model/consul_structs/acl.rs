//! ACL tokens, policies, roles, binding rules and auth methods.

use super::*;

// ---- ACLs (types 17, 19, 23, 25, 27) ----

/// `structs.ACLTokenPolicyLink`.
pub static ACL_TOKEN_POLICY_LINK: Struct = Struct {
    name: "structs.ACLTokenPolicyLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLTokenRoleLink`.
pub static ACL_TOKEN_ROLE_LINK: Struct = Struct {
    name: "structs.ACLTokenRoleLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLRolePolicyLink`.
pub static ACL_ROLE_POLICY_LINK: Struct = Struct {
    name: "structs.ACLRolePolicyLink",
    fields: &[f("ID", Go::Str), f("Name", Go::Str)],
};

/// `structs.ACLServiceIdentity`.
pub static ACL_SERVICE_IDENTITY: Struct = Struct {
    name: "structs.ACLServiceIdentity",
    fields: &[f("ServiceName", Go::Str), f("Datacenters", STR_SLICE)],
};

/// `structs.ACLNodeIdentity`.
pub static ACL_NODE_IDENTITY: Struct = Struct {
    name: "structs.ACLNodeIdentity",
    fields: &[f("NodeName", Go::Str), f("Datacenter", Go::Str)],
};

/// `structs.ACLToken`.
pub static ACL_TOKEN: Struct = Struct {
    name: "structs.ACLToken",
    fields: &[
        f("AccessorID", Go::Str),
        f("SecretID", Go::Str),
        f("Description", Go::Str),
        f("Policies", Go::Slice(&Go::Struct(&ACL_TOKEN_POLICY_LINK))),
        f("Roles", Go::Slice(&Go::Struct(&ACL_TOKEN_ROLE_LINK))),
        f(
            "ServiceIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_SERVICE_IDENTITY))),
        ),
        f(
            "NodeIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_NODE_IDENTITY))),
        ),
        f("Type", Go::Str),
        f("Rules", Go::Str),
        f("Local", Go::Bool),
        f("AuthMethod", Go::Str),
        f("ExpirationTime", Go::Ptr(&Go::Time)),
        f("ExpirationTTL", Go::Int(64)),
        f("CreateTime", Go::Time),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLPolicy`.
pub static ACL_POLICY: Struct = Struct {
    name: "structs.ACLPolicy",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Description", Go::Str),
        f("Rules", Go::Str),
        f("Syntax", Go::Int(64)),
        f("Datacenters", STR_SLICE),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLRole`.
pub static ACL_ROLE: Struct = Struct {
    name: "structs.ACLRole",
    fields: &[
        f("ID", Go::Str),
        f("Name", Go::Str),
        f("Description", Go::Str),
        f("Policies", Go::Slice(&Go::Struct(&ACL_ROLE_POLICY_LINK))),
        f(
            "ServiceIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_SERVICE_IDENTITY))),
        ),
        f(
            "NodeIdentities",
            Go::Slice(&Go::Ptr(&Go::Struct(&ACL_NODE_IDENTITY))),
        ),
        f("Hash", Go::Bytes),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLBindingRule`.
pub static ACL_BINDING_RULE: Struct = Struct {
    name: "structs.ACLBindingRule",
    fields: &[
        f("ID", Go::Str),
        f("Description", Go::Str),
        f("AuthMethod", Go::Str),
        f("Selector", Go::Str),
        f("BindType", Go::Str),
        f("BindName", Go::Str),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};

/// `structs.ACLAuthMethod`.
pub static ACL_AUTH_METHOD: Struct = Struct {
    name: "structs.ACLAuthMethod",
    fields: &[
        f("Name", Go::Str),
        f("Type", Go::Str),
        f("DisplayName", Go::Str),
        f("Description", Go::Str),
        f("MaxTokenTTL", Go::Int(64)),
        f("TokenLocality", Go::Str),
        f("Config", ANY_MAP),
        RAFT_INDEX[0],
        RAFT_INDEX[1],
    ],
};
