//! The AWS CLI's named profiles: static keys and the region from the shared files
//! `~/.aws/credentials` and `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`),
//! for the profile `AWS_PROFILE` names (else `default`).
//!
//! Read as botocore reads them (`botocore/configloader.py`: `[NAME]` sections in the credentials
//! file, `[profile NAME]` in the config file and `[default]` in both; indented lines continue
//! a nested setting, which is skipped here; `#` and `;` start comment lines). The credentials
//! file wins over the config file for the keys; variables win over both, and so does a web
//! identity (`AWS_WEB_IDENTITY_TOKEN_FILE`), as in botocore's provider chain
//! (`botocore/credentials.py`: env, assume-role, web identity, ..., shared credentials file,
//! config file, container, instance metadata). Roles (`role_arn`, `source_profile`), SSO and
//! `credential_process` are not followed.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{env, redacted};
use crate::error::{Error, Result};

/// A shared file larger than this is refused (they are a few hundred bytes).
const MAX_FILE: u64 = 1 << 20;

/// What a profile says.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `aws_access_key_id`.
    pub access_key_id: Option<String>,
    /// `aws_secret_access_key` (a secret).
    pub secret_access_key: Option<String>,
    /// `aws_session_token` (a secret).
    pub session_token: Option<String>,
    /// `region`.
    pub region: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .field("region", &self.region)
            .finish()
    }
}

/// The sections of an INI file, each a map of lower-case keys to values.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            // A nested setting's continuation (`s3 =` then `  addressing_style = path`).
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            section = Some(name);
            continue;
        }
        if let (Some(s), Some((k, v))) = (&section, line.split_once('=')) {
            let v = v.trim();
            if !v.is_empty() {
                out.entry(s.clone())
                    .or_default()
                    .insert(k.trim().to_ascii_lowercase(), v.to_string());
            }
        }
    }
    out
}

/// The file's text, or `None` when it does not exist.
fn read_small(path: &Path) -> Result<Option<String>> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut text = String::new();
    f.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if text.len() as u64 > MAX_FILE {
        return Err(Error::Usage(format!(
            "{}: larger than {MAX_FILE} bytes, not an AWS shared config file",
            path.display()
        )));
    }
    Ok(Some(text))
}

/// Profile `name` from the two files. `explicit`: the user named it, so it must exist.
pub fn load_from(
    name: &str,
    explicit: bool,
    credentials: &Path,
    config: &Path,
) -> Result<Option<Profile>> {
    let creds = read_small(credentials)?.map(|t| parse_ini(&t));
    let conf = read_small(config)?.map(|t| parse_ini(&t));
    let from_creds = creds.as_ref().and_then(|c| c.get(name));
    let config_section = if name == "default" {
        conf.as_ref()
            .and_then(|c| c.get("default").or_else(|| c.get("profile default")))
    } else {
        conf.as_ref()
            .and_then(|c| c.get(&format!("profile {name}")))
    };
    if from_creds.is_none() && config_section.is_none() {
        if explicit {
            return Err(Error::Usage(format!(
                "AWS_PROFILE={name}: no such profile in {} or {}",
                credentials.display(),
                config.display()
            )));
        }
        return Ok(None);
    }
    let get = |key: &str| {
        from_creds
            .and_then(|s| s.get(key))
            .or_else(|| config_section.and_then(|s| s.get(key)))
            .cloned()
    };
    Ok(Some(Profile {
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        region: config_section.and_then(|s| s.get("region")).cloned(),
    }))
}

/// The profile the AWS variables name, from the files they name (or `~/.aws/`).
pub fn load() -> Result<Option<Profile>> {
    let explicit = env("AWS_PROFILE").or_else(|| env("AWS_DEFAULT_PROFILE"));
    let home = env("HOME").map(PathBuf::from);
    let file = |var: &str, default: &str| {
        env(var)
            .map(|p| expand_home(&p, home.as_deref()))
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let (Some(credentials), Some(config)) = (
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    ) else {
        return Ok(None);
    };
    let name = explicit.clone().unwrap_or_else(|| "default".into());
    load_from(&name, explicit.is_some(), &credentials, &config)
}

fn expand_home(p: &str, home: Option<&Path>) -> PathBuf {
    match (p.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

/// The profile's keys (unless `keys` is false: keys were given otherwise, e.g. as flags) and
/// region on the builder, where the variables leave them unset.
pub fn apply(
    mut b: object_store::aws::AmazonS3Builder,
    keys: bool,
) -> Result<object_store::aws::AmazonS3Builder> {
    let Some(p) = load()? else { return Ok(b) };
    let env_keys = env("AWS_ACCESS_KEY_ID").is_some() || env("AWS_SECRET_ACCESS_KEY").is_some();
    let web_identity = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some();
    if let (true, false, false, Some(id), Some(secret)) = (
        keys,
        env_keys,
        web_identity,
        &p.access_key_id,
        &p.secret_access_key,
    ) {
        b = b.with_access_key_id(id).with_secret_access_key(secret);
        if let Some(token) = &p.session_token {
            b = b.with_token(token);
        }
    }
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        if let Some(region) = &p.region {
            b = b.with_region(region);
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(creds: &str, config: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let (c, f) = (d.path().join("credentials"), d.path().join("config"));
        std::fs::write(&c, creds).unwrap();
        std::fs::write(&f, config).unwrap();
        (d, c, f)
    }

    #[test]
    fn profiles_as_botocore_reads_them() {
        let (_d, c, f) = files(
            "# comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n[work]\naws_access_key_id=AKIAWORK\naws_secret_access_key=s2\naws_session_token = tok\n",
            "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-1\ns3 =\n  addressing_style = path\n[profile cfgonly]\naws_access_key_id = AKIACFG\naws_secret_access_key = s3\n[work]\nregion = wrong\n",
        );
        let p = load_from("default", false, &c, &f).unwrap().unwrap();
        assert_eq!(p.access_key_id.as_deref(), Some("AKIADEFAULT"));
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        let p = load_from("work", true, &c, &f).unwrap().unwrap();
        assert_eq!(
            (
                p.access_key_id.as_deref(),
                p.session_token.as_deref(),
                p.region.as_deref()
            ),
            (Some("AKIAWORK"), Some("tok"), Some("ap-south-1"))
        );
        let p = load_from("cfgonly", true, &c, &f).unwrap().unwrap();
        assert_eq!(p.secret_access_key.as_deref(), Some("s3"));
        assert!(p.region.is_none());
        assert!(!format!("{p:?}").contains("s3\""));
        assert!(matches!(
            load_from("nope", true, &c, &f),
            Err(Error::Usage(_))
        ));
        assert!(load_from("nope", false, &c, &f).unwrap().is_none());
        let missing = c.with_file_name("absent");
        assert!(load_from("default", false, &missing, &missing)
            .unwrap()
            .is_none());
    }
}
