//! The `switchboard` binary: serve the dashboard, or simulate headless.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use server::cli::{self, Cli, Command, ServeArgs};
use server::serve::{Config, Server};
use server::shutdown;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", cli::one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Simulate(args) => match cli::simulate(&args) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Sweep(args) => {
            let json = args.format == cli::SweepFormat::Json;
            match server::sweeps::command(&args.ask(), args.threads, json) {
                Ok((out, notes)) => {
                    print!("{out}");
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {}", cli::one_line(&e));
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        let pkg = std::path::Path::new(&args.site_root).join("pkg");
        let bundle = std::fs::read_dir(&pkg).is_ok_and(|dir| {
            dir.flatten().any(|f| {
                let name = f.file_name().to_string_lossy().into_owned();
                name.starts_with("switchboard") && name.ends_with(".js")
            })
        });
        if !bundle {
            tracing::warn!(
                "{} holds no switchboard*.js: the page will not hydrate. Build the site with `make build` (`cargo xtask site`).",
                pkg.display()
            );
        }
        let listener = match tokio::net::TcpListener::bind(args.addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.addr);
                return ExitCode::FAILURE;
            }
        };
        let cluster = match &args.nats {
            Some(url) => match server::class::cluster::Cluster::join(url).await {
                Ok(c) => {
                    tracing::info!("replica {} joined the set at {url}", c.replica);
                    Some(c)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            },
            None => None,
        };
        let config = Config {
            site_root: args.site_root.clone(),
            limits: args.limits(),
            allow_origins: args.allow_origins.clone(),
            threads: args.threads,
            cluster,
        };
        let server = match Server::new(listener, config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot serve on {}: {e}", args.addr);
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(
            "Switchboard serving on http://{} ({} simulation threads, at most {} sessions)",
            server.addr,
            server.shared.simulators.threads,
            server.shared.limits.max_sessions
        );
        match server.run(shutdown::signal()).await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: server failed: {e}");
                ExitCode::FAILURE
            }
        }
    });
    // Exports still finishing their last virtual second are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}
