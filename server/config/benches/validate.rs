//! Parse + validate of a typical devcontainer.json (about 1.5 KB): what `devc
//! validate` and every keystroke in the language server pay.
//! Run: `cargo bench -p devc-config --bench validate`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const TYPICAL: &str = r#"// A Node.js + PostgreSQL service, the shape most projects have.
{
  "name": "web-app",
  "build": {
    "dockerfile": "Dockerfile",
    "context": "..",
    "args": { "NODE_VERSION": "20", "VARIANT": "bookworm" }
  },
  "features": {
    "ghcr.io/devcontainers/features/node:1": { "version": "20" },
    "ghcr.io/devcontainers/features/github-cli:1": {}
  },
  "forwardPorts": [3000, "db:5432"],
  "portsAttributes": {
    "3000": { "label": "app", "onAutoForward": "openBrowser" }
  },
  "containerEnv": { "NODE_ENV": "development", "HOST_USER": "${localEnv:USER:dev}" },
  "remoteEnv": { "PATH": "${containerEnv:PATH}:/workspace/node_modules/.bin" },
  "mounts": [
    "source=node-modules-${devcontainerId},target=${containerWorkspaceFolder}/node_modules,type=volume",
    { "type": "bind", "source": "${localEnv:HOME}/.ssh", "target": "/home/node/.ssh" }
  ],
  "runArgs": ["--cap-add=SYS_PTRACE", "--security-opt", "seccomp=unconfined"],
  "remoteUser": "node",
  "updateRemoteUserUID": true,
  "onCreateCommand": "npm ci",
  "postCreateCommand": { "deps": "npm run prepare", "db": ["sh", "-c", "npm run migrate"] },
  "postStartCommand": "npm run dev &",
  "waitFor": "onCreateCommand",
  "hostRequirements": { "cpus": 2, "memory": "4gb" },
  "customizations": {
    "vscode": {
      "extensions": ["dbaeumer.vscode-eslint", "esbenp.prettier-vscode"],
      "settings": { "editor.formatOnSave": true }
    }
  },
}
"#;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let path = dir.path().join(".devcontainer").join("devcontainer.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(dir.path().join(".devcontainer/Dockerfile"), "FROM scratch\n").unwrap();
    // Compile the schema once, outside the measurement (the server does this at start).
    devc_schema::devcontainer();
    assert!(TYPICAL.len() > 1000 && TYPICAL.len() < 2048);

    c.bench_function("parse", |b| b.iter(|| devc_jsonc::parse(black_box(TYPICAL))));
    c.bench_function("parse+validate", |b| {
        b.iter(|| {
            let parse = devc_jsonc::parse(black_box(TYPICAL));
            devc_config::diagnose_text(&parse, TYPICAL, Some(&path))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
