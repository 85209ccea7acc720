use clap::Parser;
use entente_server::cli::{self, Cli, Command};

fn init_logging(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    // Catalog commands print their result; only warnings belong on stderr for them.
    let is_serve = matches!(args.command, None | Some(Command::Serve { .. }));
    let filter = if is_serve || std::env::var_os("ENTENTE_LOG").is_some() {
        args.serve.log.as_str()
    } else {
        "warn"
    };
    init_logging(filter, args.serve.log_format == "json");
    let result = match args.command {
        None => serve(&args.serve).await,
        Some(Command::Serve { issuer }) => {
            let mut serve_args = args.serve.clone();
            if let Some(i) = issuer {
                serve_args.issuer = i;
            }
            serve(&serve_args).await
        }
        Some(cmd) => {
            cli::run(
                cmd,
                &args.serve.common,
                args.output,
                &args.serve.signing_alg,
                &args.serve.issuer,
            )
            .await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: &entente_server::config::ServeArgs) -> anyhow::Result<()> {
    let config = args.validate()?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("ENTENTE_LISTEN {}: {e}", config.listen))?;
    entente_server::serve::run(config, listener, metrics).await
}
