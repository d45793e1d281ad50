//! One `up` at a time per dev container: an exclusive advisory lock on a file
//! named after the devcontainerId, in the user's runtime directory. The lock is
//! released when the guard is dropped (or the process dies).

use crate::EngineError;
use std::fs::File;
use std::path::PathBuf;

pub struct UpLock {
    _file: File,
}

/// Where lock files live: `$XDG_RUNTIME_DIR/devc`, else `<tmp>/devc-<uid>`.
fn lock_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("devc"),
        _ => std::env::temp_dir().join(format!("devc-{}", current_uid())),
    }
}

fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0)
}

/// Blocks (on a worker thread) until this process holds the lock for `id`.
pub async fn lock(id: &str) -> Result<UpLock, EngineError> {
    let dir = lock_dir();
    let path = dir.join(format!("{id}.lock"));
    let task = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        std::fs::create_dir_all(&dir)?;
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok(file)
    });
    match task.await {
        Ok(Ok(file)) => Ok(UpLock { _file: file }),
        Ok(Err(e)) => Err(EngineError::Invalid(format!("cannot take the lock for dev container {id} in {}: {e}", lock_dir().display()))),
        Err(e) => Err(EngineError::Invalid(format!("lock task failed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn second_lock_waits_for_the_first() {
        let id = format!("test-{}", std::process::id());
        let first = lock(&id).await.unwrap();
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let id2 = id.clone();
        let waiter = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let _second = lock(&id2).await.unwrap();
                let _ = tx.send(());
            });
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(rx.try_recv().is_err(), "second lock must wait while the first is held");
        drop(first);
        waiter.join().unwrap();
        assert!(rx.try_recv().is_ok());
    }
}
