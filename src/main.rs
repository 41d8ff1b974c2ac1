//! The `fpx` binary: glue only. Parse flags, build the configuration, call the library, map the
//! outcome to an exit code: 0 all inputs read, 1 some input could not be read (`lint`: some
//! rule could not be parsed; `suggest`: a threshold line could not be read), 2 usage error.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use fpx::cli::{Command, Flags};

/// Says something on stderr, escaped: messages quote file names, rule and TOML lines.
fn say(message: &dyn std::fmt::Display) {
    eprintln!(
        "fpx: {}",
        fpx::report::escape::terminal(&message.to_string())
    );
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    match flags.command {
        Command::Explain(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            let stdout = io::stdout().lock();
            let out = io::BufWriter::with_capacity(64 * 1024, stdout);
            let mut stderr = fpx::report::escape::TerminalWriter::new(io::stderr().lock());
            match fpx::explain::run(&cfg, out, &mut stderr) {
                Ok(summary) if summary.errors.is_empty() => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => {
                    say(&e);
                    ExitCode::from(2)
                }
            }
        }
        Command::Suggest(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            let out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
            let mut stderr = fpx::report::escape::TerminalWriter::new(io::stderr().lock());
            match fpx::suggest::job::run(&cfg, out, &mut stderr) {
                Ok(summary) if summary.errors.is_empty() => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => {
                    say(&e);
                    ExitCode::from(2)
                }
            }
        }
        Command::Verdict(f) => {
            let result = f.into_config().map(|c| fpx::verdict::run(&c));
            match result {
                Err(e) => {
                    say(&e);
                    ExitCode::from(2)
                }
                Ok(Err(e)) => {
                    say(&e);
                    ExitCode::from(1)
                }
                Ok(Ok(line)) => {
                    println!("{}", fpx::report::escape::terminal(&line));
                    ExitCode::SUCCESS
                }
            }
        }
        Command::Eval(f) => match fpx::eval::run(&f.labels) {
            Err(e) => {
                say(&e);
                ExitCode::from(2)
            }
            Ok(report) => {
                let text = match f.format {
                    fpx::cli::FormatFlag::Text => report.text(),
                    fpx::cli::FormatFlag::Json => {
                        let mut buf = Vec::new();
                        let _ = fpx::report::json::to_line(&mut buf, &report);
                        buf.push(b'\n');
                        String::from_utf8_lossy(&buf).into_owned()
                    }
                };
                print!("{}", fpx::report::escape::terminal_lines(&text));
                if report.problems.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
        },
        Command::Lint(f) => {
            let paths = match f.into_paths() {
                Ok(p) => p,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            let mut out = io::BufWriter::new(io::stdout().lock());
            // Rule files are text from elsewhere: each line is escaped for the terminal.
            let written = fpx::signature::lint::lint_paths_streaming(&paths, &mut |l| {
                writeln!(out, "{}", fpx::report::escape::terminal(l))
            })
            .and_then(|report| out.flush().map(|()| report));
            match written {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    say(&format!("writing output: {e}"));
                    ExitCode::from(1)
                }
                Err(_) => ExitCode::SUCCESS,
                Ok(report) if report.errors() > 0 => ExitCode::from(1),
                Ok(_) => ExitCode::SUCCESS,
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
