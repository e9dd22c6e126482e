//! `agent`'s object-storage destination: the Enterprise agent's `-aws-s3-*`, `-azure-blob-*`
//! and `-gcs-bucket` flags and the config file's `aws_storage`, `azure_blob_storage` and
//! `google_storage` blocks, merged (flags win) into one [`RemoteTarget`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use snapinspect::error::Error;
use snapinspect::live::agent::config::FileConfig;
use snapinspect::live::agent::RemoteTarget;
use snapinspect::live::storage::{AzureSettings, ObjectUrl, S3Settings, Storage, StorageOptions};

fn go_bool(s: &str) -> Result<bool, String> {
    snapinspect::live::consul::parse_go_bool(s).ok_or_else(|| format!("{s:?} is not a boolean"))
}

/// Where the Enterprise agent's object-storage flags are listed in `--help`.
const STORAGE: &str = "Object storage (the Enterprise agent's flags)";

/// The Enterprise agent's object-storage flags (hashicorp/consul
/// `website/content/commands/snapshot/agent.mdx`, "S3 Storage Options", "Azure Blob Storage
/// options", "Google Cloud Storage options").
#[derive(clap::Args, Debug, Default, Clone)]
pub struct RemoteArgs {
    /// S3 bucket to save to (instead of a local directory).
    #[arg(long, value_name = "BUCKET", help_heading = STORAGE)]
    pub aws_s3_bucket: Option<String>,
    /// Key prefix of the objects [default: consul-snapshot].
    #[arg(long, value_name = "PREFIX", help_heading = STORAGE)]
    pub aws_s3_key_prefix: Option<String>,
    /// The bucket's region [env: AWS_REGION].
    #[arg(long, value_name = "REGION", help_heading = STORAGE)]
    pub aws_s3_region: Option<String>,
    /// An S3-compatible endpoint (host or URL) [env: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL].
    #[arg(long, value_name = "URL", help_heading = STORAGE)]
    pub aws_s3_endpoint: Option<String>,
    /// Server-side encryption with S3-managed keys (AES256).
    #[arg(long, value_name = "BOOL", help_heading = STORAGE, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    pub aws_s3_server_side_encryption: Option<bool>,
    /// Server-side encryption with KMS (the bucket's default key unless -aws-s3-kms-key).
    #[arg(long, value_name = "BOOL", help_heading = STORAGE, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    pub aws_s3_enable_kms: Option<bool>,
    /// The KMS key for -aws-s3-enable-kms.
    #[arg(long, value_name = "KEY", help_heading = STORAGE)]
    pub aws_s3_kms_key: Option<String>,
    /// Path-style requests (MinIO and other S3-compatible stores).
    #[arg(long, value_name = "BOOL", help_heading = STORAGE, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    pub aws_s3_force_path_style: Option<bool>,
    /// Save every snapshot under this one key (no rotation; rely on bucket versioning).
    #[arg(long, value_name = "KEY", help_heading = STORAGE)]
    pub aws_s3_static_snapshot_name: Option<String>,
    /// Access key ID [env: AWS_ACCESS_KEY_ID].
    #[arg(long, value_name = "ID", help_heading = STORAGE)]
    pub aws_access_key_id: Option<String>,
    /// Secret access key (never printed) [env: AWS_SECRET_ACCESS_KEY].
    #[arg(long, value_name = "KEY", help_heading = STORAGE)]
    pub aws_secret_access_key: Option<String>,
    /// Session token for the keys given (never printed) [env: AWS_SESSION_TOKEN].
    #[arg(long, value_name = "TOKEN", help_heading = STORAGE)]
    pub aws_session_token: Option<String>,
    /// Azure Blob Storage container to save to.
    #[arg(long, value_name = "NAME", help_heading = STORAGE)]
    pub azure_blob_container_name: Option<String>,
    /// Storage account [env: AZURE_STORAGE_ACCOUNT_NAME].
    #[arg(long, value_name = "NAME", help_heading = STORAGE)]
    pub azure_blob_account_name: Option<String>,
    /// Account key (never printed) [env: AZURE_STORAGE_ACCOUNT_KEY].
    #[arg(long, value_name = "KEY", help_heading = STORAGE)]
    pub azure_blob_account_key: Option<String>,
    /// AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud.
    #[arg(long, value_name = "NAME", help_heading = STORAGE)]
    pub azure_blob_environment: Option<String>,
    /// Google Cloud Storage bucket to save to (application default credentials).
    #[arg(long, value_name = "BUCKET", help_heading = STORAGE)]
    pub gcs_bucket: Option<String>,
    /// The same as -gcs-bucket.
    #[arg(
        long,
        value_name = "BUCKET",
        hide = true,
        conflicts_with = "gcs_bucket"
    )]
    pub google_bucket: Option<String>,
}

/// A non-empty value.
fn set(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

/// The flag's value, else the config's.
fn pick(flag: &Option<String>, file: &Option<String>) -> Option<String> {
    set(flag).or_else(|| set(file))
}

/// What the flags and the config file say of object storage.
pub struct Destination {
    /// Where to write, when object storage is configured.
    pub remote: Option<RemoteTarget>,
    /// `local_scratch_path` given without object storage (ignored, as the Enterprise agent
    /// ignores it for local storage).
    pub scratch_ignored: bool,
}

/// The destination from the flags over the config file. `local_dir` is the local directory
/// given explicitly (flag, or a config path other than the default `.`): with object storage
/// too, that is two destinations, a usage error.
pub fn destination(
    r: &RemoteArgs,
    f: &FileConfig,
    scratch: Option<PathBuf>,
    local_dir: Option<String>,
    timeout: Option<Duration>,
) -> Result<Destination, Error> {
    let aws = &f.aws_storage;
    let az = &f.azure_blob_storage;
    let s3_bucket = pick(&r.aws_s3_bucket, &aws.s3_bucket);
    let container = pick(&r.azure_blob_container_name, &az.container_name);
    let gcs = set(&r.gcs_bucket)
        .or_else(|| set(&r.google_bucket))
        .or_else(|| set(&f.google_storage.bucket));
    let mut chosen: Vec<String> = Vec::new();
    if let Some(b) = &s3_bucket {
        chosen.push(format!(
            "S3 bucket {b} (-aws-s3-bucket, aws_storage.s3_bucket)"
        ));
    }
    if let Some(c) = &container {
        chosen.push(format!(
            "Azure container {c} (-azure-blob-container-name, azure_blob_storage.container_name)"
        ));
    }
    if let Some(b) = &gcs {
        chosen.push(format!(
            "Google Cloud Storage bucket {b} (-gcs-bucket, google_storage.bucket)"
        ));
    }
    if chosen.len() > 1 {
        return Err(Error::Usage(format!(
            "two destinations at once: {}; snapinspect saves to one (run one agent per destination)",
            chosen.join(" and ")
        )));
    }
    // Settings of a store that is not the destination are a mistake, not a no-op.
    let s3_only = [
        ("-aws-s3-key-prefix", r.aws_s3_key_prefix.is_some()),
        ("-aws-s3-region", r.aws_s3_region.is_some()),
        ("-aws-s3-endpoint", r.aws_s3_endpoint.is_some()),
        (
            "-aws-s3-server-side-encryption",
            r.aws_s3_server_side_encryption == Some(true),
        ),
        ("-aws-s3-enable-kms", r.aws_s3_enable_kms == Some(true)),
        ("-aws-s3-kms-key", r.aws_s3_kms_key.is_some()),
        (
            "-aws-s3-force-path-style",
            r.aws_s3_force_path_style == Some(true),
        ),
        (
            "-aws-s3-static-snapshot-name",
            r.aws_s3_static_snapshot_name.is_some(),
        ),
        ("-aws-access-key-id", r.aws_access_key_id.is_some()),
        ("-aws-secret-access-key", r.aws_secret_access_key.is_some()),
        ("-aws-session-token", r.aws_session_token.is_some()),
    ];
    let azure_only = [
        (
            "-azure-blob-account-name",
            r.azure_blob_account_name.is_some(),
        ),
        (
            "-azure-blob-account-key",
            r.azure_blob_account_key.is_some(),
        ),
        (
            "-azure-blob-environment",
            r.azure_blob_environment.is_some(),
        ),
    ];
    for (flags, wanted, what) in [
        (&s3_only[..], s3_bucket.is_some(), "-aws-s3-bucket"),
        (
            &azure_only[..],
            container.is_some(),
            "-azure-blob-container-name",
        ),
    ] {
        if let Some((flag, _)) = flags.iter().find(|(_, given)| *given).filter(|_| !wanted) {
            return Err(Error::Usage(format!(
                "{flag} configures a destination that is not set: give {what} too"
            )));
        }
    }
    let Some(_) = chosen.first() else {
        return Ok(Destination {
            remote: None,
            scratch_ignored: scratch.is_some(),
        });
    };
    if let Some(dir) = local_dir {
        return Err(Error::Usage(format!(
            "two destinations at once: the local directory {dir} and {}; snapinspect saves to one",
            chosen[0]
        )));
    }
    let bool_of = |flag: Option<bool>, file: Option<bool>| flag.or(file).unwrap_or(false);
    let (id, secret) = (
        pick(&r.aws_access_key_id, &aws.access_key_id),
        pick(&r.aws_secret_access_key, &aws.secret_access_key),
    );
    if id.is_some() != secret.is_some() {
        return Err(Error::Usage(
            "give both -aws-access-key-id and -aws-secret-access-key (or neither, for the AWS variables and instance credentials)".into(),
        ));
    }
    let s3 = S3Settings {
        region: pick(&r.aws_s3_region, &aws.s3_region),
        endpoint: pick(&r.aws_s3_endpoint, &aws.s3_endpoint),
        force_path_style: bool_of(r.aws_s3_force_path_style, aws.s3_force_path_style),
        server_side_encryption: bool_of(
            r.aws_s3_server_side_encryption,
            aws.s3_server_side_encryption,
        ),
        enable_kms: bool_of(r.aws_s3_enable_kms, aws.s3_enable_kms),
        kms_key: pick(&r.aws_s3_kms_key, &aws.s3_kms_key),
        access_key_id: id,
        secret_access_key: secret,
        session_token: pick(&r.aws_session_token, &aws.session_token),
    };
    let azure = AzureSettings {
        account_name: pick(&r.azure_blob_account_name, &az.account_name),
        account_key: pick(&r.azure_blob_account_key, &az.account_key),
        environment: pick(&r.azure_blob_environment, &az.environment),
    };
    let opts = StorageOptions {
        timeout: timeout.unwrap_or(Duration::from_secs(30)),
        s3,
        azure,
    };
    let storage = Arc::new(Storage::new(opts)?);
    let (url, key_prefix, static_name) = if let Some(b) = s3_bucket {
        let prefix = r
            .aws_s3_key_prefix
            .clone()
            .or(aws.s3_key_prefix.clone())
            .unwrap_or_else(|| DEFAULT_KEY_PREFIX.into());
        let fixed = pick(&r.aws_s3_static_snapshot_name, &aws.s3_static_snapshot_name);
        (format!("s3://{b}/"), prefix, fixed)
    } else if let Some(c) = container {
        (format!("az://{c}/"), DEFAULT_KEY_PREFIX.to_string(), None)
    } else {
        let b = gcs.unwrap_or_default();
        (format!("gs://{b}/"), DEFAULT_KEY_PREFIX.to_string(), None)
    };
    let url = ObjectUrl::parse(&url)?;
    // A store snapinspect cannot make (a scheme not built in) fails now, before Consul is
    // asked for anything.
    storage.store(&url)?;
    let mut target = RemoteTarget::new(storage, url, &key_prefix);
    target.static_name = static_name;
    target.scratch = scratch;
    Ok(Destination {
        remote: Some(target),
        scratch_ignored: false,
    })
}

/// The key prefix of the objects unless `-aws-s3-key-prefix` says otherwise (the Enterprise
/// agent's default).
pub const DEFAULT_KEY_PREFIX: &str = "consul-snapshot";
