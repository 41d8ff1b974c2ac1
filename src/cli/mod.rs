//! Command-line arguments in two steps: raw flags parsed by clap (no I/O), then a validated
//! configuration for the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::explain::ExplainConfig;
use crate::input::ReadOptions;
use crate::model::InputFormat;
use crate::report::Format;

/// Explains Snort and Suricata alerts and says how likely each one is a false positive.
#[derive(Debug, Parser)]
#[command(name = "fpx", version, about, long_about = None)]
pub struct Flags {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain every alert in the inputs (EVE JSON, unified2, fast and full alert text, and
    /// context logs; format detected from content; `-` reads stdin; .gz/.zst decompressed).
    Explain(ExplainFlags),
    /// List the facts that evidence rules can test and quote.
    Facts,
}

#[derive(Debug, clap::Args)]
pub struct ExplainFlags {
    /// Alert dumps and context logs to read.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatFlag::Text)]
    pub format: FormatFlag,
    /// Skip format detection and read every input as this format.
    #[arg(long, value_name = "FORMAT", value_parser = parse_input_format)]
    pub input_format: Option<InputFormat>,
    /// Year for timestamps written without one (Snort fast/full alerts, syslog).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=9999))]
    pub year: Option<i32>,
    /// Directory whose knowledge files replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
    /// Directory whose evidence rule files replace or extend the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub evidence_rules: Option<PathBuf>,
    /// Most warnings about skipped records to print (the rest are counted in the summary).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_warnings: usize,
    /// Print only the root-cause clusters and the summary, not one report per alert (for
    /// floods: every alert is still explained, scored and counted).
    #[arg(long)]
    pub clusters_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatFlag {
    Text,
    Json,
}

fn parse_input_format(s: &str) -> Result<InputFormat, String> {
    InputFormat::from_name(s).ok_or_else(|| {
        format!("unknown input format {s:?} (eve, fast, full, unified2, ipchains, netfilter, cisco_asa, pflog, zeek)")
    })
}

impl ExplainFlags {
    /// Validates the flags into the library's configuration.
    pub fn into_config(self) -> Result<ExplainConfig, String> {
        for dir in [&self.knowledge, &self.evidence_rules]
            .into_iter()
            .flatten()
        {
            if !dir.is_dir() {
                return Err(format!("{}: not a directory", dir.display()));
            }
        }
        Ok(ExplainConfig {
            inputs: self.inputs,
            read: ReadOptions {
                year: self.year,
                format: self.input_format,
            },
            format: match self.format {
                FormatFlag::Text => Format::Text,
                FormatFlag::Json => Format::Json,
            },
            knowledge_dir: self.knowledge,
            evidence_dir: self.evidence_rules,
            max_warnings: self.max_warnings,
            clusters_only: self.clusters_only,
        })
    }
}
