//! The command line: flags as typed → one options struct per command →
//! the pipeline → an exit status (0 fine, 1 content errors or, with
//! `check --deny-warnings`, warnings; 2 usage).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::build::{self, BuildOptions, Report};
use crate::handouts::Selection;
use crate::handouts::command::HandoutOptions;
use crate::resolve::Options;

#[derive(Parser)]
#[command(name = "waymark", version, about = "A static site generator for learning roadmaps")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Use no cached work (.waymark-cache/ in the site's folder): highlight
    /// every code block afresh, and with `check --external` ask about every link
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into a folder (public/ by default)
    Build {
        /// The site's folder (holding site.yaml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: public/ in the site's folder);
        /// replaced only when the build succeeds
        #[arg(long)]
        output: Option<PathBuf>,
        /// Write into a non-empty folder that waymark did not write, leaving
        /// the files already there except those of the same name
        #[arg(long)]
        force: bool,
        /// Use this base URL instead of the one in site.yaml
        #[arg(long)]
        base_url: Option<String>,
        /// Also build articles and pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Also print every handout and booklet as PDF (needs Chromium), and link the PDFs
        #[arg(long)]
        pdf: bool,
        /// The Chromium to print with (default: $WAYMARK_CHROME, else chromium on PATH)
        #[arg(long, value_name = "PATH", requires = "pdf")]
        chrome: Option<PathBuf>,
    },
    /// Write the printable handouts and booklets (and with --pdf, their PDFs)
    Handouts {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write them (default: print/ in the site's folder, so
        /// that a built site in public/ stays as it is); replaced only when
        /// everything succeeds
        #[arg(long)]
        output: Option<PathBuf>,
        /// Write into a non-empty folder that waymark did not write, leaving
        /// the files already there except those of the same name
        #[arg(long)]
        force: bool,
        /// Also print each handout and booklet as PDF (needs Chromium)
        #[arg(long)]
        pdf: bool,
        /// The Chromium to print with (default: $WAYMARK_CHROME, else chromium on PATH)
        #[arg(long, value_name = "PATH", requires = "pdf")]
        chrome: Option<PathBuf>,
        /// Only this roadmap's handouts (and its booklet)
        #[arg(long, value_name = "ID")]
        roadmap: Option<String>,
        /// Only this phase's handout (no booklet)
        #[arg(long, value_name = "ID")]
        phase: Option<String>,
        #[arg(long)]
        drafts: bool,
    },
    /// Validate content, templates and references (with --external, outside links too); builds nothing
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long)]
        drafts: bool,
        /// Also ask every outside link (resource urls, http(s) links in
        /// Markdown) whether it still answers; the only command that uses the network
        #[arg(long)]
        external: bool,
        /// With --external: seconds to wait for each request
        #[arg(long, value_name = "SECS", default_value_t = 10, requires = "external",
              value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
        /// Fail (exit status 1) when there are warnings, dead links included
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Build, then serve the site with live reload, rebuilding on every change
    Serve {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port to listen on (the next free one if it is taken)
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in a browser
        #[arg(long)]
        open: bool,
        #[arg(long)]
        drafts: bool,
        /// Poll for changes instead of waiting for file system events
        /// (network mounts and some containers send none)
        #[arg(long)]
        poll: bool,
    },
    /// Build into a folder, then rebuild it on every change (no server)
    Watch {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: public/ in the site's folder)
        #[arg(long)]
        output: Option<PathBuf>,
        /// Write into a non-empty folder that waymark did not write
        #[arg(long)]
        force: bool,
        #[arg(long)]
        drafts: bool,
        /// Poll for changes instead of waiting for file system events
        #[arg(long)]
        poll: bool,
    },
    /// Create a new site with a small example roadmap
    Init {
        /// The folder to create (must not exist, or be empty)
        dir: PathBuf,
    },
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = std::io::stderr().is_terminal();
    let one_shot = open_cache(&cli);
    let status = run(cli, color);
    if one_shot {
        build::save_highlight_cache();
    }
    status
}

/// Opens the site's highlight cache for the command; true when the command
/// runs once and the cache is to be saved after it (`serve` and `watch`
/// save it after each rebuild, `check` only reads it).
fn open_cache(cli: &Cli) -> bool {
    let (root, writable, one_shot) = match &cli.command {
        Command::Build { root, .. } | Command::Handouts { root, .. } => (root, true, true),
        Command::Check { root, .. } => (root, false, false),
        Command::Serve { root, .. } | Command::Watch { root, .. } => (root, true, false),
        Command::Init { .. } => return false,
    };
    if cli.no_cache || crate::source::config_file(root).is_none() {
        return false;
    }
    crate::markdown::use_cache(root, writable);
    one_shot
}

fn run(cli: Cli, color: bool) -> ExitCode {
    let no_cache = cli.no_cache;
    match cli.command {
        Command::Build {
            root,
            output,
            force,
            base_url,
            drafts,
            pdf,
            chrome,
        } if pdf => handouts(HandoutOptions {
            output: output_or_default(&root, output),
            root,
            force,
            resolve: Options { drafts, base_url },
            selection: Selection::default(),
            pdf: Some(chrome),
            whole_site: true,
        }),
        Command::Build {
            root,
            output,
            force,
            base_url,
            drafts,
            ..
        } => {
            let output = output_or_default(&root, output);
            let opts = BuildOptions {
                root,
                output,
                force,
                resolve: Options { drafts, base_url },
                use_cache: !no_cache,
            };
            match build::build(&opts) {
                Ok(report) => finish(&report, color, "; nothing was written", |stats| {
                    format!(
                        "built {} pages ({} files) into {} in {}",
                        stats.pages,
                        stats.files,
                        opts.output.display(),
                        seconds(report.elapsed)
                    )
                }),
                Err(usage) => usage_error(&usage.0),
            }
        }
        Command::Handouts {
            root,
            output,
            force,
            pdf,
            chrome,
            roadmap,
            phase,
            drafts,
        } => handouts(HandoutOptions {
            output: output.unwrap_or_else(|| root.join("print")),
            root,
            force,
            resolve: Options { drafts, base_url: None },
            selection: Selection { roadmap, phase },
            pdf: pdf.then_some(chrome),
            whole_site: false,
        }),
        Command::Check {
            root,
            drafts,
            external,
            timeout,
            deny_warnings,
        } => {
            let opts = Options { drafts, base_url: None };
            let mut summary = None;
            let result = if external {
                let external = crate::external::Options {
                    timeout: std::time::Duration::from_secs(timeout),
                    use_cache: !no_cache,
                };
                build::check_with(&root, &opts, |loaded| {
                    let (diagnostics, found) = crate::external::check(loaded, &external);
                    summary = Some(found);
                    diagnostics
                })
            } else {
                build::check(&root, &opts)
            };
            let mut epilogue = Epilogue {
                lines: Vec::new(),
                deny_warnings,
            };
            if let Some(summary) = summary {
                epilogue.lines.extend(summary.notes.iter().cloned());
                epilogue.lines.push(summary.to_string());
            }
            match result {
                Ok(report) => finish_with(&report, color, &epilogue, "", |stats| {
                    format!("checked {} pages: no errors ({})", stats.pages, seconds(report.elapsed))
                }),
                Err(usage) => usage_error(&usage.0),
            }
        }
        Command::Serve {
            root,
            port,
            bind,
            open,
            drafts,
            poll,
        } => serve_result(crate::serve::serve(&crate::serve::ServeOptions {
            root,
            bind,
            port,
            open,
            drafts,
            poll,
        })),
        Command::Watch {
            root,
            output,
            force,
            drafts,
            poll,
        } => serve_result(crate::serve::watch(&crate::serve::WatchOptions {
            output: output_or_default(&root, output),
            root,
            force,
            drafts,
            poll,
        })),
        Command::Init { dir } => match crate::init::init(&dir) {
            Ok(()) => {
                println!(
                    "created a new site in {0}\n  build it:   waymark build --root {0}\n  preview it: open {0}/public/index.html after building",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(crate::init::InitError::Usage(message)) => usage_error(&message),
            Err(crate::init::InitError::Io(message)) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
        },
    }
}

fn finish(
    report: &Report,
    color: bool,
    failed_note: &str,
    success: impl FnOnce(&crate::render::Stats) -> String,
) -> ExitCode {
    finish_with(report, color, &Epilogue::default(), failed_note, success)
}

/// What `check` adds to the end of a run: lines printed after the
/// diagnostics, and whether warnings fail it.
#[derive(Default)]
struct Epilogue {
    lines: Vec<String>,
    deny_warnings: bool,
}

fn finish_with(
    report: &Report,
    color: bool,
    epilogue: &Epilogue,
    failed_note: &str,
    success: impl FnOnce(&crate::render::Stats) -> String,
) -> ExitCode {
    report.diagnostics.emit(&report.sources, color);
    for line in &epilogue.lines {
        eprintln!("{line}");
    }
    let errors = report.diagnostics.error_count();
    let warnings = report.diagnostics.warning_count();
    match (&report.stats, errors) {
        (Some(_), 0) if epilogue.deny_warnings && warnings > 0 => {
            eprintln!("error: the site has {warnings} warning(s), and --deny-warnings makes warnings fail the check");
            ExitCode::from(1)
        }
        (Some(stats), 0) => {
            let mut line = success(stats);
            if warnings > 0 {
                line.push_str(&format!(", {warnings} warning(s)"));
            }
            eprintln!("{line}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "error: the site has {errors} error(s){}{failed_note}",
                if warnings > 0 {
                    format!(" and {warnings} warning(s)")
                } else {
                    String::new()
                }
            );
            ExitCode::from(1)
        }
    }
}

fn handouts(opts: HandoutOptions) -> ExitCode {
    let color = std::io::stderr().is_terminal();
    match crate::handouts::command::run(&opts) {
        Ok(outcome) => {
            let what = if opts.whole_site { "built" } else { "wrote handouts:" };
            let printed = if opts.pdf.is_some() {
                format!(", {} PDFs printed in {:.1} s", outcome.pdfs, outcome.print_seconds)
            } else {
                String::new()
            };
            finish(&outcome.report, color, "; nothing was written", |stats| {
                format!(
                    "{what} {} pages ({} files) into {}{printed}, in {}",
                    stats.pages,
                    stats.files,
                    opts.output.display(),
                    seconds(outcome.report.elapsed)
                )
            })
        }
        Err(crate::handouts::command::Error::Usage(message)) => usage_error(&message),
        Err(crate::handouts::command::Error::Fatal(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn serve_result(result: Result<(), crate::serve::Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(crate::serve::Error::Usage(message)) => usage_error(&message),
        Err(crate::serve::Error::Fatal(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The output folder: `public` inside the site's folder unless given, as
/// Zola's `output_dir` and Hugo's `publishDir`. A relative `--output` is
/// relative to the current folder, like any path argument.
fn output_or_default(root: &std::path::Path, output: Option<PathBuf>) -> PathBuf {
    output.unwrap_or_else(|| root.join("public"))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn seconds(elapsed: std::time::Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}
