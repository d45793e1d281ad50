//! updateRemoteUserUID on Linux: build `<image>-uid`, a thin image in which
//! the remote user's UID/GID are those that own the workspace folder on the
//! host, so files created in the bind mount are the user's on both sides.
//! (The reference uses the UID of the CLI process; the workspace owner is the
//! same in the usual case and also right when devc runs as root.)

use crate::EngineError;
use devc_runtime::{BuildRequest, Progress, Runtime};
use std::collections::BTreeMap;
use std::path::Path;

/// Rewrites the user's entry in /etc/passwd (and its group in /etc/group) and
/// chowns its home, unless the IDs already match or another user has the UID.
/// Values arrive as build args, never spliced into the script.
const UPDATE_UID_DOCKERFILE: &str = r#"ARG BASE_IMAGE
FROM $BASE_IMAGE
USER root
ARG REMOTE_USER
ARG NEW_UID
ARG NEW_GID
RUN set -e; \
    line=$(grep "^${REMOTE_USER}:" /etc/passwd || true); \
    if [ -z "$line" ]; then echo "devc: user $REMOTE_USER not in /etc/passwd; UID unchanged"; exit 0; fi; \
    old_uid=$(echo "$line" | cut -d: -f3); old_gid=$(echo "$line" | cut -d: -f4); home=$(echo "$line" | cut -d: -f6); \
    if [ "$old_uid" = "$NEW_UID" ] && [ "$old_gid" = "$NEW_GID" ]; then echo "devc: UID/GID already $NEW_UID:$NEW_GID"; exit 0; fi; \
    taken=$(awk -F: -v uid="$NEW_UID" -v user="$REMOTE_USER" '$3 == uid && $1 != user { print $1 }' /etc/passwd); \
    if [ -n "$taken" ]; then echo "devc: UID $NEW_UID belongs to $taken; UID unchanged"; exit 0; fi; \
    gtaken=$(awk -F: -v gid="$NEW_GID" -v g="$old_gid" '$3 == gid && $3 != g { print $1 }' /etc/group); \
    if [ -n "$gtaken" ]; then echo "devc: GID $NEW_GID belongs to group $gtaken; keeping GID $old_gid"; NEW_GID=$old_gid; fi; \
    awk -F: -v OFS=: -v user="$REMOTE_USER" -v uid="$NEW_UID" -v gid="$NEW_GID" '$1 == user { $3 = uid; $4 = gid } { print }' /etc/passwd > /tmp/devc-passwd; \
    cat /tmp/devc-passwd > /etc/passwd; rm -f /tmp/devc-passwd; \
    if [ "$old_gid" != "$NEW_GID" ]; then \
      awk -F: -v OFS=: -v old="$old_gid" -v gid="$NEW_GID" '$3 == old { $3 = gid } { print }' /etc/group > /tmp/devc-group; \
      cat /tmp/devc-group > /etc/group; rm -f /tmp/devc-group; \
    fi; \
    if [ -d "$home" ]; then chown -R "$NEW_UID:$NEW_GID" "$home"; fi; \
    echo "devc: $REMOTE_USER is now $NEW_UID:$NEW_GID"
ARG IMAGE_USER=root
USER $IMAGE_USER
"#;

/// The owner (uid, gid) of the workspace folder on the host.
pub fn workspace_owner(folder: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(folder).ok().map(|m| (m.uid(), m.gid()))
}

/// Whether the update applies: Linux host, a named non-root remote user.
pub fn applies(remote_user: &str, enabled: bool) -> bool {
    enabled
        && cfg!(target_os = "linux")
        && !remote_user.is_empty()
        && remote_user != "root"
        && !remote_user.chars().all(|c| c.is_ascii_digit())
}

/// Builds `tag` from `base_image` with the remote user's IDs set to `uid:gid`.
pub async fn build_uid_image<R: Runtime>(
    rt: &R,
    base_image: &str,
    image_user: &str,
    remote_user: &str,
    (uid, gid): (u32, u32),
    tag: &str,
    progress: Progress<'_>,
) -> Result<String, EngineError> {
    let dir = std::env::temp_dir().join(format!("devc-uid-{}-{}", std::process::id(), uid));
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let dockerfile = dir.join("updateUID.Dockerfile");
    std::fs::write(&dockerfile, UPDATE_UID_DOCKERFILE).map_err(|e| EngineError::Invalid(format!("cannot write {}: {e}", dockerfile.display())))?;
    let mut args = BTreeMap::new();
    args.insert("BASE_IMAGE".to_string(), base_image.to_string());
    args.insert("REMOTE_USER".to_string(), remote_user.to_string());
    args.insert("NEW_UID".to_string(), uid.to_string());
    args.insert("NEW_GID".to_string(), gid.to_string());
    args.insert("IMAGE_USER".to_string(), if image_user.is_empty() { "root".to_string() } else { image_user.to_string() });
    let request = BuildRequest { context: dir.clone(), dockerfile, tags: vec![tag.to_string()], args, ..Default::default() };
    let result = rt.build_image(&request, progress).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_only_to_named_non_root_users() {
        assert!(applies("dev", true));
        assert!(!applies("dev", false));
        assert!(!applies("root", true));
        assert!(!applies("1000", true));
        assert!(!applies("", true));
    }
}
