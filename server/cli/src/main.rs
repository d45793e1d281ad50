//! `devc`: argument parsing and the output contract shared by every command:
//! results go to stdout (one JSON line for engine commands), logs to stderr,
//! exit 1 on error with a message naming the cause and a fix.

mod commands;
mod logging;

use clap::{Parser, Subcommand};
use logging::{LogFormat, LogLevel};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "devc", version, about = "Dev containers for every editor: engine, language server and debug adapter")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the parsed, substituted (and optionally merged) configuration, as `devcontainer read-configuration`.
    ReadConfiguration(commands::read_configuration::Args),
    /// Check devcontainer.json: syntax, schema and semantic problems as file:line:col lines.
    Validate(commands::validate::Args),
    /// Create or reuse the dev container and run its lifecycle hooks.
    Up(commands::engine::UpArgs),
    /// Build the dev container's image.
    Build(commands::engine::BuildArgs),
    /// Run a command in the dev container as the remote user.
    Exec(commands::engine::ExecArgs),
    /// Run the lifecycle hooks that are due in the existing dev container.
    RunUserCommands(commands::engine::RunUserCommandsArgs),
    /// Stop the dev container.
    Stop(commands::engine::CommonArgs),
    /// Stop and remove the dev container.
    Down(commands::engine::DownArgs),
    /// Apply the config's shutdownAction (what editors call when they close the workspace).
    Shutdown(commands::engine::CommonArgs),
    /// Run the language server for devcontainer.json on stdin/stdout (logs go to stderr).
    Lsp(LspArgs),
    /// Run the debug adapter (DAP) on stdin/stdout: launches processes in the dev container.
    Dap(DapArgs),
    /// Show the dev container's state and whether its config changed since `up` (JSON).
    Status(commands::engine::CommonArgs),
}

/// Flags every command shares with the reference CLI.
#[derive(clap::Args, Clone, Debug)]
pub struct LogArgs {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log level on stderr.
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
}

#[derive(clap::Args, Clone, Debug)]
pub struct LspArgs {
    /// Use stdin/stdout (the only transport; accepted because editors pass it).
    #[arg(long)]
    pub stdio: bool,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(clap::Args, Clone, Debug)]
pub struct DapArgs {
    #[command(flatten)]
    pub runtime: commands::engine::RuntimeArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// `devc lsp` and `devc dap`: the protocol owns stdout; logs go to stderr.
fn serve_stdio<F: std::future::Future<Output = ExitCode>>(name: &str, log: &LogArgs, serve: impl FnOnce() -> F) -> ExitCode {
    init(log);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("devc {name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(serve());
    // The stdin reader thread may still be blocked in `read`; don't wait for it.
    runtime.shutdown_background();
    code
}

fn init(log: &LogArgs) {
    logging::init(log.log_format, log.log_level);
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lsp(args) => serve_stdio("lsp", &args.log, devc_lsp::run_stdio),
        Command::Dap(args) => {
            let (kind, bridge) = (args.runtime.kind(), args.runtime.bridge.clone());
            serve_stdio("dap", &args.log, move || devc_dap::run_stdio(kind, bridge))
        }
        Command::ReadConfiguration(args) => {
            logging::init(args.log.log_format, args.log.log_level);
            commands::read_configuration::run(args)
        }
        Command::Validate(args) => {
            logging::init(LogFormat::Text, LogLevel::Info);
            commands::validate::run(args)
        }
        Command::Up(args) => {
            init(&args.common.log);
            commands::engine::up(args)
        }
        Command::Build(args) => {
            init(&args.common.log);
            commands::engine::build(args)
        }
        Command::Exec(args) => {
            init(&args.common.log);
            commands::engine::exec(args)
        }
        Command::RunUserCommands(args) => {
            init(&args.common.log);
            commands::engine::run_user_commands(args)
        }
        Command::Stop(args) => {
            init(&args.log);
            commands::engine::stop(args)
        }
        Command::Down(args) => {
            init(&args.common.log);
            commands::engine::down(args)
        }
        Command::Shutdown(args) => {
            init(&args.log);
            commands::engine::shutdown(args)
        }
        Command::Status(args) => {
            init(&args.log);
            commands::engine::status(args)
        }
    }
}
