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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ReadConfiguration(args) => {
            logging::init(args.log.log_format, args.log.log_level);
            commands::read_configuration::run(args)
        }
        Command::Validate(args) => {
            logging::init(LogFormat::Text, LogLevel::Info);
            commands::validate::run(args)
        }
    }
}
