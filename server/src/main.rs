use clap::Parser;
use entente_server::cli::{self, Cli, Command};
use entente_server::startup::{Application, shutdown_signal};

// jemalloc, for every allocation of the process (SQLite's and aws-lc's too): a catalog reload
// allocates and frees every row of the catalog across threads, which glibc's malloc spent half
// its time on, and glibc kept the freed memory (RSS grew with every reload under load).
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    // Catalog commands print their result; only warnings belong on stderr for them.
    let is_serve = matches!(args.command, None | Some(Command::Serve(_)));
    let filter = if is_serve || std::env::var_os("ENTENTE_LOG").is_some() {
        args.log.log.as_str()
    } else {
        "warn"
    };
    let telemetry = entente_server::telemetry::init(filter, args.log.log_format == "json");
    let result = match args.log.validate() {
        Err(e) => Err(e),
        Ok(()) => match args.command {
            None => serve(&args.serve, &args.common).await,
            Some(Command::Serve(serve_args)) => serve(&serve_args, &args.common).await,
            Some(cmd) => cli::run(cmd, &args.common, args.output).await,
        },
    };
    telemetry.shutdown();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `config plan` found changes: reported already, and not a failure.
        Err(e) if e.is::<entente_server::cli::configuration::PendingChanges>() => {
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(
    args: &entente_server::config::ServeArgs,
    common: &entente_server::config::CommonArgs,
) -> anyhow::Result<()> {
    let config = args.validate(common)?;
    Application::build(config)
        .await?
        .run_until_stopped(shutdown_signal())
        .await
}
