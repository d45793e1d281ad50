//! `exec_signal` when the daemon's /proc is not visible (Docker Desktop, a
//! remote daemon): the process is found by listing /proc inside the
//! container. Forced with DEVC_EXEC_SIGNAL_SCAN=1, so in its own test binary.

mod common;

use common::*;
use devc_runtime::Runtime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_signal_by_scanning_the_container() {
    std::env::set_var("DEVC_EXEC_SIGNAL_SCAN", "1");
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "scan").await;
    // The only exec'd process: found even though busybox sh exec'd into `sleep`.
    let mut first = d.exec(&exec_request(&id, &["sh", "-c", "sleep 305"])).await.unwrap();
    eventually("sleep 305 runs", || async { sleeps(&d, &id).await == 1 }).await;
    d.exec_signal(&first.id, 15).await.unwrap();
    collect(&mut first).await;
    assert_eq!(d.exec_wait(&first.id).await.unwrap(), 143);

    // Two exec'd processes: the one with the exec's command line, with its group.
    let mut target = d.exec(&exec_request(&id, &["sh", "-c", "sleep 306 & sleep 307; echo not-reached"])).await.unwrap();
    let mut bystander = d.exec(&exec_request(&id, &["sleep", "308"])).await.unwrap();
    eventually("three sleeps run", || async { sleeps(&d, &id).await == 3 }).await;
    d.exec_signal(&target.id, 15).await.unwrap();
    collect(&mut target).await;
    assert_eq!(d.exec_wait(&target.id).await.unwrap(), 143);
    eventually("only the bystander is left", || async { sleeps(&d, &id).await == 1 }).await;
    d.exec_signal(&bystander.id, 9).await.unwrap();
    collect(&mut bystander).await;
    assert_eq!(d.exec_wait(&bystander.id).await.unwrap(), 137);
}

async fn sleeps(d: &devc_runtime::Docker, id: &str) -> usize {
    let (_, out, _) = run(d, id, &["ps", "-o", "pid,args"]).await;
    // `ps -o pid,args` lines: the PID, then the command line.
    out.lines().filter(|l| l.trim_start().split_once(' ').is_some_and(|(_, args)| args.starts_with("sleep 30"))).count()
}
