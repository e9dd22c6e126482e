//! Google Cloud Storage (`gs://bucket/object`): credentials and endpoint as the Google client
//! libraries find them.
//!
//! `STORAGE_EMULATOR_HOST` (`host:port` or a URL) points every request at an emulator, without
//! credentials, as the Google Cloud client libraries do (`newHTTPStorageClient` in
//! googleapis/google-cloud-go `storage/http_client.go`: `http://` is assumed when the value
//! has no scheme, and authentication is skipped). Otherwise object_store's
//! `GoogleCloudStorageBuilder::from_env` reads `GOOGLE_APPLICATION_CREDENTIALS` (a service
//! account key or an authorized-user file), `GOOGLE_SERVICE_ACCOUNT` /
//! `GOOGLE_SERVICE_ACCOUNT_KEY`, then application default credentials
//! (`~/.config/gcloud/application_default_credentials.json`), then the metadata server.

use object_store::gcp::{GoogleCloudStorage, GoogleCloudStorageBuilder};

use super::{env, http_client, one_line, retry, StorageOptions};
use crate::error::{Error, Result};

/// The emulator's base URL from `STORAGE_EMULATOR_HOST`, if set.
pub fn emulator_url(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.contains("://") {
        host.to_string()
    } else {
        format!("http://{host}")
    }
}

/// The store for one bucket.
pub fn build(bucket: &str, opts: &StorageOptions) -> Result<GoogleCloudStorage> {
    let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
    let mut plain_http = false;
    if let Some(host) = env("STORAGE_EMULATOR_HOST") {
        let url = emulator_url(&host);
        plain_http = url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        b = b.with_base_url(&url).with_skip_signature(true);
    }
    b.with_client_options(http_client(opts.timeout, plain_http))
        .with_retry(retry(opts.timeout))
        .build()
        .map_err(|e| Error::Usage(format!("gs://{bucket}: {}", one_line(e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_hosts_as_the_client_libraries_take_them() {
        assert_eq!(emulator_url("127.0.0.1:4443"), "http://127.0.0.1:4443");
        assert_eq!(emulator_url("localhost:9023/"), "http://localhost:9023");
        assert_eq!(
            emulator_url("https://gcs.example:443"),
            "https://gcs.example:443"
        );
    }
}
