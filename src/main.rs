//! The `fpx` binary: glue only. Parse flags, build the configuration, call the library, map the
//! outcome to an exit code: 0 all inputs read, 1 some input could not be read, 2 usage error.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use fpx::cli::{Command, Flags};

fn main() -> ExitCode {
    let flags = Flags::parse();
    match flags.command {
        Command::Explain(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("fpx: {e}");
                    return ExitCode::from(2);
                }
            };
            let stdout = io::stdout().lock();
            let out = io::BufWriter::with_capacity(64 * 1024, stdout);
            let mut stderr = io::stderr().lock();
            match fpx::explain::run(&cfg, out, &mut stderr) {
                Ok(summary) if summary.errors.is_empty() => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => {
                    let _ = writeln!(stderr, "fpx: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Facts => {
            let mut out = io::stdout().lock();
            for (k, doc) in fpx::evidence::KEYS.iter().chain(fpx::cluster::CLUSTER_KEYS) {
                if writeln!(out, "{k:32} {doc}").is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
    }
}
