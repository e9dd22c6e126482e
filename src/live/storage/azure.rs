//! Azure Blob Storage (`az://container/blob`): the account, its credential and its endpoint,
//! found as the Azure CLI (`az storage`) finds them, with the agent's `-azure-blob-*` settings
//! over them.
//!
//! In order: [`AzureSettings`] (flags or config); `AZURE_STORAGE_CONNECTION_STRING` (with
//! `AccountName`, `AccountKey`, `SharedAccessSignature`, `BlobEndpoint`,
//! `DefaultEndpointsProtocol`, `EndpointSuffix`, or Azurite's `UseDevelopmentStorage=true`);
//! else `AZURE_STORAGE_ACCOUNT` with `AZURE_STORAGE_KEY` or `AZURE_STORAGE_SAS_TOKEN`; else what
//! object_store's `MicrosoftAzureBuilder::from_env` reads (`AZURE_STORAGE_ACCOUNT_NAME`,
//! `AZURE_STORAGE_ACCOUNT_KEY`, service principal `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/
//! `AZURE_TENANT_ID`, workload identity, managed identity).
//!
//! The cloud names (`-azure-blob-environment`) and their storage endpoint suffixes are those of
//! the Azure SDK for Go (`autorest/azure/environments.go` in Azure/go-autorest:
//! `StorageEndpointSuffix`, names matched without regard to case), which the Enterprise
//! snapshot agent takes the flag's values from.

use object_store::azure::{AzureConfigKey, MicrosoftAzure, MicrosoftAzureBuilder};

use super::{env, http_client, one_line, redacted, retry, AzureSettings, StorageOptions};
use crate::error::{Error, Result};

/// Azurite's well-known development account and key (public, in Microsoft's Azurite docs).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The storage endpoint suffix of each Azure cloud (go-autorest `environments.go`).
const CLOUDS: [(&str, &str); 4] = [
    ("AzurePublicCloud", "core.windows.net"),
    ("AzureUSGovernmentCloud", "core.usgovcloudapi.net"),
    ("AzureChinaCloud", "core.chinacloudapi.cn"),
    ("AzureGermanCloud", "core.cloudapi.de"),
];

/// The storage endpoint suffix of a cloud named as `-azure-blob-environment` takes it.
pub fn endpoint_suffix(environment: &str) -> Result<&'static str> {
    CLOUDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(environment.trim()))
        .map(|(_, suffix)| *suffix)
        .ok_or_else(|| {
            Error::Usage(format!(
                "unknown Azure environment {environment:?} (one of {})",
                CLOUDS.map(|(n, _)| n).join(", ")
            ))
        })
}

/// What the variables and settings say about the account; each `None` leaves object_store's
/// own environment reading be.
#[derive(Default, PartialEq, Eq)]
pub struct Account {
    /// The storage account.
    pub name: Option<String>,
    /// Its shared key (a secret).
    pub key: Option<String>,
    /// A SAS token, without the leading `?` (a secret).
    pub sas: Option<String>,
    /// The blob service URL, `https://ACCOUNT.blob.SUFFIX` or an explicit one.
    pub endpoint: Option<String>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("key", &redacted(&self.key))
            .field("sas", &redacted(&self.sas))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Parses an Azure Storage connection string (`Key=Value;...`, keys without regard to case).
pub fn parse_connection_string(s: &str) -> Result<Account> {
    let mut fields = std::collections::HashMap::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            // Never echo the string: it may hold the key.
            return Err(Error::Usage(
                "AZURE_STORAGE_CONNECTION_STRING: not Key=Value;Key=Value...".into(),
            ));
        };
        fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let get = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
    if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        // Azurite on its default blob port; DevelopmentStorageProxyUri moves the host.
        let host = get("developmentstorageproxyuri")
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "http://127.0.0.1".into());
        return Ok(Account {
            name: Some(DEV_ACCOUNT.into()),
            key: Some(DEV_KEY.into()),
            sas: None,
            endpoint: Some(format!("{host}:10000/{DEV_ACCOUNT}")),
        });
    }
    let name = get("accountname");
    let endpoint = get("blobendpoint").or_else(|| {
        let account = name.as_ref()?;
        let protocol = get("defaultendpointsprotocol").unwrap_or_else(|| "https".into());
        let suffix = get("endpointsuffix").unwrap_or_else(|| "core.windows.net".into());
        Some(format!("{protocol}://{account}.blob.{suffix}"))
    });
    let sas = get("sharedaccesssignature").map(|s| s.trim_start_matches('?').to_string());
    Ok(Account {
        name,
        key: get("accountkey"),
        sas,
        endpoint,
    })
}

/// The account from the Azure CLI's variables, then the settings over them.
pub fn resolve(settings: &AzureSettings) -> Result<Account> {
    resolve_with(settings, &env)
}

/// [`resolve`], with the variables read through `env`.
fn resolve_with(settings: &AzureSettings, env: &dyn Fn(&str) -> Option<String>) -> Result<Account> {
    let mut a = match env("AZURE_STORAGE_CONNECTION_STRING") {
        Some(cs) => parse_connection_string(&cs)?,
        None => Account {
            name: env("AZURE_STORAGE_ACCOUNT"),
            key: env("AZURE_STORAGE_KEY"),
            sas: env("AZURE_STORAGE_SAS_TOKEN").map(|s| s.trim_start_matches('?').to_string()),
            endpoint: None,
        },
    };
    if let Some(name) = settings.account_name.as_ref().filter(|n| !n.is_empty()) {
        if a.name.as_deref() != Some(name.as_str()) {
            // Another account: what the environment says about its own does not apply.
            a = Account {
                name: Some(name.clone()),
                ..Account::default()
            };
        }
    }
    if let Some(key) = settings.account_key.as_ref().filter(|k| !k.is_empty()) {
        a.key = Some(key.clone());
        a.sas = None;
    }
    if let Some(environment) = settings.environment.as_ref().filter(|e| !e.is_empty()) {
        let suffix = endpoint_suffix(environment)?;
        let account = a.name.clone().or_else(|| env("AZURE_STORAGE_ACCOUNT_NAME"));
        if let Some(account) = account {
            a.endpoint = Some(format!("https://{account}.blob.{suffix}"));
        }
    }
    Ok(a)
}

/// The store for one container.
pub fn build(container: &str, opts: &StorageOptions) -> Result<MicrosoftAzure> {
    let what = format!("az://{container}");
    let a = resolve(&opts.azure)?;
    let mut b = MicrosoftAzureBuilder::from_env().with_container_name(container);
    if let Some(name) = &a.name {
        b = b.with_account(name);
    }
    if let Some(key) = &a.key {
        b = b.with_access_key(key);
    } else if let Some(sas) = &a.sas {
        b = b.with_config(AzureConfigKey::SasKey, sas);
    }
    let endpoint = a.endpoint.clone().or_else(|| env("AZURE_STORAGE_ENDPOINT"));
    let plain_http = endpoint.as_deref().is_some_and(|e| {
        e.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    });
    if let Some(e) = endpoint {
        b = b.with_endpoint(e.trim_end_matches('/').to_string());
    }
    let store = b
        .with_client_options(http_client(opts.timeout, plain_http))
        .with_retry(retry(opts.timeout))
        .build()
        .map_err(|e| {
            let mut text = one_line(e);
            for secret in [&a.key, &a.sas].into_iter().flatten() {
                text = text.replace(secret.as_str(), "<redacted>");
            }
            if text.contains("Account must be specified") {
                text = "no storage account: set AZURE_STORAGE_CONNECTION_STRING, or \
                        AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN \
                        (docs/STORAGE.md)"
                    .into();
            }
            Error::Usage(format!("{what}: {text}"))
        })?;
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings() {
        let a = parse_connection_string(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
        )
        .unwrap();
        assert_eq!(a.name.as_deref(), Some("acct"));
        assert_eq!(a.key.as_deref(), Some("a2V5"));
        assert_eq!(
            a.endpoint.as_deref(),
            Some("https://acct.blob.core.chinacloudapi.cn")
        );
        let a = parse_connection_string(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        )
        .unwrap();
        assert_eq!(
            a.endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        let a = parse_connection_string("UseDevelopmentStorage=true").unwrap();
        assert_eq!(a.name.as_deref(), Some(DEV_ACCOUNT));
        assert_eq!(
            a.endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        let a = parse_connection_string(
            "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=?sv=2022&sig=x",
        )
        .unwrap();
        assert_eq!(a.sas.as_deref(), Some("sv=2022&sig=x"));
        assert!(a.key.is_none());
        let err = parse_connection_string("AccountKey=secretkey;junk").unwrap_err();
        assert!(!err.to_string().contains("secretkey"));
        assert!(format!("{a:?}").contains("<redacted>") && !format!("{a:?}").contains("sig=x"));
    }

    #[test]
    fn settings_win_over_the_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let cs = vars(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "AccountName=acct;AccountKey=ZW52;BlobEndpoint=http://127.0.0.1:1/acct",
        )]);
        let none = AzureSettings::default();
        let a = resolve_with(&none, &cs).unwrap();
        assert_eq!(
            (a.name.as_deref(), a.key.as_deref(), a.endpoint.as_deref()),
            (Some("acct"), Some("ZW52"), Some("http://127.0.0.1:1/acct"))
        );
        // The same account: the flag's key replaces the variable's, the endpoint stays.
        let same = AzureSettings {
            account_name: Some("acct".into()),
            account_key: Some("ZmxhZw==".into()),
            environment: None,
        };
        let a = resolve_with(&same, &cs).unwrap();
        assert_eq!(
            (a.key.as_deref(), a.endpoint.as_deref()),
            (Some("ZmxhZw=="), Some("http://127.0.0.1:1/acct"))
        );
        // Another account: nothing the variables say about theirs is kept.
        let other = AzureSettings {
            account_name: Some("other".into()),
            account_key: None,
            environment: Some("AzureChinaCloud".into()),
        };
        let a = resolve_with(&other, &cs).unwrap();
        assert_eq!(
            (a.name.as_deref(), a.key.as_deref(), a.endpoint.as_deref()),
            (
                Some("other"),
                None,
                Some("https://other.blob.core.chinacloudapi.cn")
            )
        );
        // AZURE_STORAGE_ACCOUNT with a SAS token; a bad environment is a usage error.
        let sas = vars(&[
            ("AZURE_STORAGE_ACCOUNT", "acct"),
            ("AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=2"),
        ]);
        let a = resolve_with(&none, &sas).unwrap();
        assert_eq!(
            (a.name.as_deref(), a.sas.as_deref(), a.endpoint.as_deref()),
            (Some("acct"), Some("sv=1&sig=2"), None)
        );
        let bad = AzureSettings {
            environment: Some("AzureMoon".into()),
            ..AzureSettings::default()
        };
        assert!(matches!(resolve_with(&bad, &sas), Err(Error::Usage(_))));
    }

    #[test]
    fn environments_map_to_their_suffixes() {
        assert_eq!(
            endpoint_suffix("AzurePublicCloud").unwrap(),
            "core.windows.net"
        );
        assert_eq!(
            endpoint_suffix("azureusgovernmentcloud").unwrap(),
            "core.usgovcloudapi.net"
        );
        assert_eq!(
            endpoint_suffix("AzureChinaCloud").unwrap(),
            "core.chinacloudapi.cn"
        );
        assert_eq!(
            endpoint_suffix("AzureGermanCloud").unwrap(),
            "core.cloudapi.de"
        );
        assert!(matches!(endpoint_suffix("Mars"), Err(Error::Usage(_))));
    }
}
