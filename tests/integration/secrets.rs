//! "No output shows a secret unless --show-secrets": a snapshot with a distinct planted secret
//! in every secret-bearing field (the list below is this test's own, from the format spec's
//! list of secret fields, not from the code under test) goes through every command and output
//! format; no stdout, stderr or written file may hold any planted secret, in plain text or in
//! base64. With --show-secrets, decode prints every one of them: the plants are where the
//! reader looks, so the check can fail.

use std::path::{Path, PathBuf};

use base64::Engine;
use snapinspect::go::msgpack::encode as e;

use crate::util;

/// A msgpack value to plant.
enum V {
    S(&'static str),
    B(Vec<u8>),
    U(u64),
    T(bool),
    M(Vec<(&'static str, V)>),
}

fn enc(out: &mut Vec<u8>, v: &V) {
    match v {
        V::S(s) => e::raw(out, s.as_bytes()),
        V::B(b) => e::raw(out, b),
        V::U(u) => e::uint(out, *u),
        V::T(b) => e::bool(out, *b),
        V::M(pairs) => {
            e::map_len(out, pairs.len());
            for (k, v) in pairs {
                e::raw(out, k.as_bytes());
                enc(out, v);
            }
        }
    }
}

fn record(state: &mut Vec<u8>, t: u8, v: &V) {
    state.push(t);
    enc(state, v);
}

/// A protobuf length-delimited field.
fn pb(field: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![(field << 3) | 2, bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

/// Every secret field the format spec (section 10.3) names, each with its own planted value.
const PLANTS: &[(&str, &str)] = &[
    ("ACLToken.SecretID", "planted-0001-acl-token-secret-id"),
    ("PreparedQuery.Token", "planted-0002-prepared-query-token"),
    ("ConnectCA.SigningKey", "planted-0003-ca-root-signing-key"),
    (
        "ConnectCAProviderState.PrivateKey",
        "planted-0004-ca-provider-private-key",
    ),
    (
        "ConnectCAConfig.Config.PrivateKey",
        "planted-0005-ca-config-private-key",
    ),
    (
        "ConnectCAConfig.Config.Token",
        "planted-0006-ca-config-vault-token",
    ),
    (
        "ACLAuthMethod.Config.ServiceAccountJWT",
        "planted-0007-auth-method-jwt",
    ),
    (
        "ConfigEntry.inline-certificate.PrivateKey",
        "planted-0008-inline-cert-private-key",
    ),
    (
        "SystemMetadata.server-management-token",
        "planted-0009-server-management-token",
    ),
    ("ACL.ID (legacy)", "planted-0010-legacy-acl-id"),
    (
        "PeeringSecret.establishment.SecretID",
        "planted-0011-peering-establishment",
    ),
    (
        "PeeringSecret.stream.ActiveSecretID",
        "planted-0012-peering-active",
    ),
    (
        "PeeringSecret.stream.PendingSecretID",
        "planted-0013-peering-pending",
    ),
    (
        "ACLAuthMethod.Config.ClientSecret",
        "planted-0014-auth-method-client-secret",
    ),
];

fn plant(i: usize) -> &'static str {
    PLANTS[i - 1].1
}

/// The planted snapshot's state.bin: one record per secret-bearing type.
fn planted_state() -> (Vec<u8>, Vec<u8>) {
    let mut s = util::state_header(100);
    record(
        &mut s,
        4,
        &V::M(vec![
            ("ID", V::S(plant(10))),
            ("Name", V::S("legacy")),
            ("Type", V::S("client")),
            ("Rules", V::S("")),
            ("CreateIndex", V::U(5)),
            ("ModifyIndex", V::U(5)),
        ]),
    );
    record(
        &mut s,
        7,
        &V::M(vec![
            ("ID", V::S("0b5c1f5e-0000-4000-8000-000000000007")),
            ("Name", V::S("q")),
            ("Session", V::S("")),
            ("Token", V::S(plant(2))),
            ("Service", V::M(vec![("Service", V::S("web"))])),
            ("CreateIndex", V::U(7)),
            ("ModifyIndex", V::U(7)),
        ]),
    );
    record(
        &mut s,
        13,
        &V::M(vec![
            ("ID", V::S("ca-root-id")),
            ("Name", V::S("Consul CA Root Cert")),
            (
                "RootCert",
                V::S("-----BEGIN CERTIFICATE-----\nnot a secret\n-----END CERTIFICATE-----\n"),
            ),
            ("SigningCert", V::S("")),
            ("SigningKey", V::S(plant(3))),
            ("Active", V::T(true)),
            ("CreateIndex", V::U(13)),
            ("ModifyIndex", V::U(13)),
        ]),
    );
    record(
        &mut s,
        14,
        &V::M(vec![
            ("ID", V::S("provider-id")),
            ("PrivateKey", V::S(plant(4))),
            ("RootCert", V::S("cert")),
            ("CreateIndex", V::U(14)),
            ("ModifyIndex", V::U(14)),
        ]),
    );
    record(
        &mut s,
        15,
        &V::M(vec![
            ("ClusterID", V::S("11111111-2222-3333-4444-555555555555")),
            ("Provider", V::S("vault")),
            (
                "Config",
                V::M(vec![
                    ("Address", V::S("https://vault:8200")),
                    ("PrivateKey", V::S(plant(5))),
                    ("Token", V::S(plant(6))),
                ]),
            ),
            ("CreateIndex", V::U(15)),
            ("ModifyIndex", V::U(15)),
        ]),
    );
    record(
        &mut s,
        16,
        &V::M(vec![("Key", V::S("acl-tokens")), ("Value", V::U(17))]),
    );
    record(
        &mut s,
        17,
        &V::M(vec![
            ("AccessorID", V::S("aaaaaaaa-0000-4000-8000-000000000017")),
            ("SecretID", V::S(plant(1))),
            ("Description", V::S("planted token")),
            ("Local", V::T(false)),
            ("CreateIndex", V::U(17)),
            ("ModifyIndex", V::U(17)),
        ]),
    );
    // A config entry: the kind, then the request map, both inside one raw string (spec 7.5).
    let mut inner = Vec::new();
    e::raw(&mut inner, b"inline-certificate");
    enc(
        &mut inner,
        &V::M(vec![
            ("Datacenter", V::S("")),
            (
                "Entry",
                V::M(vec![
                    ("Kind", V::S("inline-certificate")),
                    ("Name", V::S("cert")),
                    ("Certificate", V::S("public part")),
                    ("PrivateKey", V::S(plant(8))),
                ]),
            ),
            ("Op", V::S("")),
            ("Token", V::S("")),
        ]),
    );
    record(&mut s, 22, &V::B(inner));
    record(
        &mut s,
        27,
        &V::M(vec![
            ("Name", V::S("k8s")),
            ("Type", V::S("kubernetes")),
            (
                "Config",
                V::M(vec![
                    ("Host", V::S("https://k8s:443")),
                    ("ServiceAccountJWT", V::S(plant(7))),
                    ("ClientSecret", V::S(plant(14))),
                ]),
            ),
            ("CreateIndex", V::U(27)),
            ("ModifyIndex", V::U(27)),
        ]),
    );
    record(
        &mut s,
        31,
        &V::M(vec![
            ("Key", V::S("server-management-token")),
            ("Value", V::S(plant(9))),
        ]),
    );
    let peering = [
        pb(1, b"peer-id-1"),
        pb(2, &pb(1, plant(11).as_bytes())),
        pb(
            3,
            &[pb(1, plant(12).as_bytes()), pb(2, plant(13).as_bytes())].concat(),
        ),
    ]
    .concat();
    record(&mut s, 40, &V::B(peering.clone()));
    (s, peering)
}

fn write_planted(dir: &Path) -> (PathBuf, Vec<u8>) {
    let (state, peering) = planted_state();
    let path = util::write_snap(dir, "planted.snap", 100, &state);
    (path, peering)
}

/// Every form in which a planted secret could leak.
fn forms(peering: &[u8]) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out: Vec<String> = PLANTS.iter().map(|(_, s)| s.to_string()).collect();
    out.extend(PLANTS.iter().map(|(_, s)| b64.encode(s)));
    out.push(b64.encode(peering));
    out
}

fn run(args: &[&str]) -> (Option<i32>, Vec<u8>) {
    let out = assert_cmd::Command::cargo_bin("snapinspect")
        .unwrap()
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let mut all = out.stdout.clone();
    all.extend_from_slice(&out.stderr);
    (out.status.code(), all)
}

fn leaks(text: &[u8], forms: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(text);
    forms
        .iter()
        .filter(|f| text.contains(f.as_str()))
        .cloned()
        .collect()
}

#[test]
fn no_command_or_format_prints_a_planted_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, peering) = write_planted(dir.path());
    let forms = forms(&peering);
    let f = snap.to_str().unwrap();
    let other = util::testdata("all.snap");
    let other = other.to_str().unwrap();
    let prom = dir.path().join("verify.prom");
    let svg = dir.path().join("trend.svg");
    let redacted = dir.path().join("redacted.snap");
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let (prom_s, svg_s, redacted_s) = (p(&prom), p(&svg), p(&redacted));

    // Control: with --show-secrets, decode prints every planted secret.
    let (code, shown) = run(&["decode", "--show-secrets", f]);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&shown));
    let shown_text = String::from_utf8_lossy(&shown);
    for (field, secret) in PLANTS
        .iter()
        .filter(|(f, _)| !f.starts_with("PeeringSecret"))
    {
        assert!(
            shown_text.contains(secret),
            "decode --show-secrets lacks {field}"
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    assert!(
        shown_text.contains(&b64.encode(&peering))
            || PLANTS[10..13].iter().all(|(_, s)| shown_text.contains(s)),
        "decode --show-secrets lacks the peering secrets"
    );

    let commands: Vec<Vec<&str>> = vec![
        vec!["inspect", f],
        vec!["inspect", "-kvdetails", f],
        vec!["inspect", "-format", "json", f],
        vec!["inspect", "--format", "legacy", f],
        vec!["inspect", "--meta", f],
        vec!["inspect", "--meta", "--format", "json", f],
        vec!["inspect", "--details", "--top", "100", f],
        vec![
            "inspect",
            "--details",
            "--top",
            "100",
            "--format",
            "json",
            f,
        ],
        vec!["verify", f],
        vec!["verify", "--format", "json", f],
        vec!["verify", "--strict", "--prometheus", &prom_s, f],
        vec!["decode", f],
        vec!["diff", other, f],
        vec!["diff", "--format", "json", other, f],
        vec!["diff", "--show-values", other, f],
        vec!["diff", f, other],
        vec!["scan", f],
        vec!["scan", "--format", "json", f],
        vec!["acl", "tokens", f],
        vec!["acl", "tokens", "--format", "json", f],
        vec!["acl", "auth-methods", f],
        vec!["acl", "auth-methods", "--format", "json", f],
        vec!["acl", "show", "aaaaaaaa-0000-4000-8000-000000000017", f],
        vec![
            "acl",
            "show",
            "--format",
            "json",
            "aaaaaaaa-0000-4000-8000-000000000017",
            f,
        ],
        vec!["acl", "show", "--format", "json", "k8s", f],
        vec!["acl", "audit", f],
        vec!["acl", "audit", "--format", "json", f],
        vec!["acl", "tokens", "--now", "2030-01-01T00:00:00Z", f],
        vec!["acl", "audit", "--min-severity", "info", f],
        vec!["compat", f],
        vec!["compat", "--format", "json", "--target", "1.8.7", f],
        vec!["trend", "--plot", &svg_s, other, f],
        vec!["trend", "--format", "json", other, f],
        vec!["redact", f, "-o", &redacted_s],
    ];
    let mut ran = 0;
    for args in &commands {
        let (code, out) = run(args);
        assert!(
            matches!(code, Some(0 | 1 | 3)),
            "{args:?} ended with {code:?}: {}",
            String::from_utf8_lossy(&out)
        );
        let found = leaks(&out, &forms);
        assert!(found.is_empty(), "{args:?} printed {found:?}");
        ran += 1;
    }
    // decode of each secret-bearing type alone.
    for t in [
        "ACL",
        "PreparedQuery",
        "ConnectCA",
        "ConnectCAProviderState",
        "ConnectCAConfig",
        "ACLToken",
        "ConfigEntry",
        "ACLAuthMethod",
        "SystemMetadata",
        "PeeringSecret",
    ] {
        let (code, out) = run(&["decode", "--type", t, f]);
        assert_eq!(code, Some(0), "decode --type {t}");
        assert!(
            String::from_utf8_lossy(&out).contains("[redacted:"),
            "decode --type {t}"
        );
        let found = leaks(&out, &forms);
        assert!(found.is_empty(), "decode --type {t} printed {found:?}");
        ran += 1;
    }
    // The files the commands wrote.
    for written in [&prom, &svg] {
        let bytes = std::fs::read(written).unwrap();
        let found = leaks(&bytes, &forms);
        assert!(found.is_empty(), "{} holds {found:?}", written.display());
    }
    let (_, state) = {
        let raw = util::gunzip(&std::fs::read(&redacted).unwrap());
        let mut meta = Vec::new();
        let mut state = Vec::new();
        let mut tar = snapinspect::go::tar::TarReader::new(&raw[..]);
        while let Some(entry) = tar.next_entry().unwrap() {
            let mut data = Vec::new();
            tar.read_data(&entry, &mut |c| {
                data.extend_from_slice(c);
                Ok(())
            })
            .unwrap();
            match &entry.name[..] {
                b"meta.json" => meta = data,
                b"state.bin" => state = data,
                _ => {}
            }
        }
        (meta, state)
    };
    let found = leaks(&state, &forms);
    assert!(found.is_empty(), "redact's copy holds {found:?}");
    assert!(ran >= 40, "{ran} runs");
}
