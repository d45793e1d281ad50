//! The JSON requests of `devc_bridge.h`, parsed strictly: wrong types and
//! missing fields are INVALID_ARGUMENT; a key this bridge does not know is
//! UNSUPPORTED, named (nothing a caller asks for is silently ignored).

use crate::codes::{BridgeError, Code};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::{c_char, CStr};

/// Requests carry their unknown keys here.
pub trait Extra {
    fn extra(&self) -> &BTreeMap<String, Value>;
}

/// Parses the request `ptr` (NULL = `{}`) of `operation`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
pub unsafe fn parse<T: DeserializeOwned + Extra>(ptr: *const c_char, operation: &str) -> Result<T, BridgeError> {
    let text = if ptr.is_null() {
        "{}".to_string()
    } else {
        CStr::from_ptr(ptr)
            .to_str()
            .map_err(|_| BridgeError::invalid(format!("the {operation} request is not UTF-8")))?
            .to_string()
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| BridgeError::invalid(format!("the {operation} request is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(BridgeError::invalid(format!("the {operation} request must be a JSON object")));
    }
    let request: T = serde_json::from_value(value)
        .map_err(|e| BridgeError::invalid(format!("the {operation} request is malformed: {e}")))?;
    if let Some(key) = request.extra().keys().next() {
        return Err(BridgeError::new(
            Code::Unsupported,
            format!("this bridge does not support {key:?} in a {operation} request"),
        ));
    }
    Ok(request)
}

macro_rules! request {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            #[serde(flatten)]
            pub extra: BTreeMap<String, Value>,
        }
        impl Extra for $name {
            fn extra(&self) -> &BTreeMap<String, Value> {
                &self.extra
            }
        }
    };
}

request! {
    /// `{"id"}`: inspect, start.
    pub struct Id {
        pub id: String,
    }
}

request! {
    pub struct List {
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
        #[serde(default)]
        pub all: Option<bool>,
    }
}

request! {
    pub struct Stop {
        pub id: String,
        #[serde(default)]
        pub grace_seconds: Option<i64>,
    }
}

request! {
    pub struct Delete {
        pub id: String,
        #[serde(default)]
        pub force: bool,
        #[serde(default)]
        pub volumes: bool,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mount {
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub source: Option<String>,
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    pub container_port: u16,
    #[serde(default)]
    pub host_port: Option<u16>,
    #[serde(default)]
    pub host_address: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
}

request! {
    pub struct Create {
        pub image: String,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub entrypoint: Option<Vec<String>>,
        #[serde(default)]
        pub cmd: Option<Vec<String>>,
        #[serde(default)]
        pub env: Vec<String>,
        #[serde(default)]
        pub user: Option<String>,
        #[serde(default)]
        pub working_dir: Option<String>,
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
        #[serde(default)]
        pub mounts: Vec<Mount>,
        #[serde(default)]
        pub ports: Vec<Port>,
        #[serde(default)]
        pub cap_add: Vec<String>,
        #[serde(default)]
        pub cap_drop: Vec<String>,
        #[serde(default)]
        pub init: Option<bool>,
        #[serde(default)]
        pub cpus: Option<f64>,
        #[serde(default)]
        pub memory_bytes: Option<i64>,
        #[serde(default)]
        pub hostname: Option<String>,
        #[serde(default)]
        pub dns: Vec<String>,
        #[serde(default)]
        pub network: Option<String>,
        #[serde(default)]
        pub platform: Option<String>,
        #[serde(default)]
        pub tty: bool,
        #[serde(default)]
        pub read_only: bool,
        #[serde(default)]
        pub stop_signal: Option<String>,
    }
}

request! {
    pub struct ImageRef {
        pub reference: String,
    }
}

request! {
    pub struct Pull {
        pub reference: String,
        #[serde(default)]
        pub platform: Option<String>,
    }
}

request! {
    pub struct Build {
        pub context_path: String,
        #[serde(default)]
        pub dockerfile: Option<String>,
        #[serde(default)]
        pub tags: Vec<String>,
        #[serde(default)]
        pub args: BTreeMap<String, String>,
        #[serde(default)]
        pub target: Option<String>,
        #[serde(default)]
        pub cache_from: Vec<String>,
        #[serde(default)]
        pub no_cache: bool,
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
        #[serde(default)]
        pub platform: Option<String>,
        #[serde(default)]
        pub pull: bool,
    }
}

request! {
    pub struct Exec {
        pub id: String,
        pub cmd: Vec<String>,
        #[serde(default)]
        pub env: Vec<String>,
        #[serde(default)]
        pub user: Option<String>,
        #[serde(default)]
        pub working_dir: Option<String>,
        #[serde(default)]
        pub tty: bool,
    }
}

request! {
    pub struct Logs {
        pub id: String,
        #[serde(default)]
        pub follow: bool,
    }
}

request! {
    /// Volume and network create.
    pub struct Named {
        pub name: String,
        #[serde(default)]
        pub labels: BTreeMap<String, String>,
    }
}

request! {
    /// Volume and network remove.
    pub struct Name {
        pub name: String,
    }
}
