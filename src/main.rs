//! The `fpx` binary: glue only. Parse flags, build the configuration, call the library, map the
//! outcome to an exit code: 0 all inputs read, 1 some input could not be read (`lint`: some
//! rule could not be parsed; `suggest`: a threshold line could not be read), 2 usage error.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use fpx::cli::{Command, Flags};

/// jemalloc rather than glibc's malloc: an explain run allocates and frees some 150 blocks per
/// alert around a window of held alerts tens of MiB large, and glibc's malloc slowed as that
/// heap aged. `explain --format json --threads 1` on the 1 GiB benchmark EVE: 0.84x the time
/// (peak RSS 77 MiB; 141 with two threads); 10 million alerts of a flood between many hosts
/// (scripts/alert-stream.py): peak RSS 133 MiB, 128 with glibc. mimalloc 2 was as fast but
/// peaked at 162 MiB there, over the 150 MB a long run may take.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Says something on stderr, escaped: messages quote file names, rule and TOML lines.
fn say(message: &dyn std::fmt::Display) {
    eprintln!(
        "fpx: {}",
        fpx::report::escape::terminal(&message.to_string())
    );
}

/// Where an explain or suggest report goes, once the checks passed: `-o FILE` or stdout.
enum Out {
    File(fpx::cli::output::OutputFile),
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Stdout(s) => s.flush(),
        }
    }
}

/// Runs a reporting job (explain, suggest) with its manners: the output checked against what
/// the job reads, warnings on stderr unless `--quiet` (then each error once, at the end), the
/// `-o` file moved into place when the report is complete.
fn report_job<E: std::fmt::Display>(
    cfg: &fpx::explain::ExplainConfig,
    also_reads: &[std::path::PathBuf],
    job: impl FnOnce(&mut Out, &mut dyn Write) -> Result<Vec<(String, String)>, E>,
) -> ExitCode {
    let mut reads = cfg.read_paths();
    reads.extend_from_slice(also_reads);
    let checked = match &cfg.output {
        Some(p) => fpx::cli::output::check_output(p, &reads, cfg.force),
        None => fpx::cli::output::check_stdout(&reads),
    };
    if let Err(e) = checked {
        say(&e);
        return ExitCode::from(2);
    }
    let mut out = match &cfg.output {
        Some(p) => match fpx::cli::output::OutputFile::create(p) {
            Ok(f) => Out::File(f),
            Err(e) => {
                say(&e);
                return ExitCode::from(2);
            }
        },
        None => Out::Stdout(io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())),
    };
    let mut stderr = fpx::report::escape::TerminalWriter::new(io::stderr().lock());
    let mut sink = io::sink();
    let warn: &mut dyn Write = if cfg.quiet { &mut sink } else { &mut stderr };
    let errors = match job(&mut out, warn) {
        Ok(errors) => errors,
        Err(e) => {
            say(&e);
            return ExitCode::from(2);
        }
    };
    if cfg.quiet {
        for (path, message) in &errors {
            say(&format!("{path}: {message}"));
        }
    }
    let mut failed = !errors.is_empty();
    match out {
        Out::File(f) => {
            if let Err(e) = f.commit() {
                say(&e);
                failed = true;
            }
        }
        Out::Stdout(mut s) => {
            let _ = s.flush();
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes generated text to stdout; a closed pipe is a normal end.
fn write_out(bytes: &[u8]) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            say(&format!("writing output: {e}"));
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
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
            report_job(&cfg, &[], |out, warn| {
                fpx::explain::run(&cfg, out, warn).map(|s| s.errors)
            })
        }
        Command::Suggest(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            report_job(&cfg.explain, &cfg.thresholds, |out, warn| {
                fpx::suggest::job::run(&cfg, out, warn).map(|s| s.errors)
            })
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
        Command::Route(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            match fpx::redis::route::run(cfg) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    say(&e.to_string());
                    ExitCode::from(2)
                }
            }
        }
        Command::Train(f) => {
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            let mut input: Box<dyn io::BufRead> = match &cfg.answers {
                Some(p) => match std::fs::File::open(p) {
                    Ok(f) => Box::new(io::BufReader::new(f)),
                    Err(e) => {
                        say(&format!("--answers {}: {e}", p.display()));
                        return ExitCode::from(2);
                    }
                },
                None => Box::new(io::stdin().lock()),
            };
            let mut out = io::stdout().lock();
            match fpx::train::run(&cfg, &mut input, &mut out) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    say(&e);
                    ExitCode::from(1)
                }
            }
        }
        Command::Completions(f) => {
            // Generated in memory: the generator panics on a write error (a closed pipe).
            let mut cmd = <Flags as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(f.shell, &mut cmd, "fpx", &mut script);
            write_out(&script)
        }
        Command::Man => {
            let cmd = <Flags as clap::CommandFactory>::command();
            let mut page = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut page) {
                Ok(()) => write_out(&page),
                Err(e) => {
                    say(&format!("man page: {e}"));
                    ExitCode::from(1)
                }
            }
        }
        Command::Facts(f) => {
            let format = f.format;
            let cfg = match f.into_config() {
                Ok(c) => c,
                Err(e) => {
                    say(&e);
                    return ExitCode::from(2);
                }
            };
            let Some(cfg) = cfg else {
                let mut names = String::new();
                for (k, doc) in fpx::evidence::KEYS.iter().chain(fpx::cluster::CLUSTER_KEYS) {
                    names.push_str(&format!("{k:32} {doc}\n"));
                }
                return write_out(names.as_bytes());
            };
            match fpx::facts::run(&cfg) {
                Err(e) => {
                    say(&e);
                    ExitCode::from(1)
                }
                Ok(answer) => {
                    let text = match format {
                        fpx::cli::FormatFlag::Text => answer.text(),
                        fpx::cli::FormatFlag::Json => {
                            let mut buf = Vec::new();
                            let _ = fpx::report::json::to_line(&mut buf, &answer);
                            buf.push(b'\n');
                            String::from_utf8_lossy(&buf).into_owned()
                        }
                    };
                    write_out(fpx::report::escape::terminal_lines(&text).as_bytes())
                }
            }
        }
    }
}
