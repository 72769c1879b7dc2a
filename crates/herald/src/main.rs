//! The `herald` command line.

use clap::{Parser, Subcommand};
use herald::{cli::listen::ListenArgs, Application, Config};

/// mimalloc: the delivery path allocates per request (headers, bodies,
/// futures), and glibc's allocator took a tenth of the server's cycles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Herald, a webhook delivery service.
#[derive(Parser)]
#[command(name = "herald", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the delivery workers.
    Serve(Box<Config>),
    /// Publish one event to an account: the catalog's example, or --data.
    Trigger(herald::cli::trigger::TriggerArgs),
    /// Check a webhook's signature against a secret and its raw body.
    Verify(herald::cli::verify::VerifyArgs),
    /// Forward an account's live events to a local URL, signed as deliveries.
    Listen(ListenArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    herald::telemetry::init();
    match Cli::parse().command {
        Command::Serve(config) => serve(*config).await,
        Command::Trigger(args) => herald::cli::finish("trigger", herald::cli::trigger::run(&args).await),
        Command::Verify(args) => herald::cli::finish("verify", herald::cli::verify::run(&args)),
        Command::Listen(args) => listen(args).await,
    }
}

async fn listen(args: ListenArgs) -> anyhow::Result<()> {
    tokio::select! {
        done = herald::cli::listen::run(args) => Ok(done?),
        () = herald::telemetry::shutdown_signal() => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    if app.token_was_generated() {
        println!(
            "Generated the admin token (kept in the data directory, shown only now):\n\n    {}\n",
            app.admin_token()
        );
    }
    let handle = app.shutdown_handle();
    tokio::spawn(async move {
        herald::telemetry::shutdown_signal().await;
        handle.shutdown();
    });
    app.run_until_stopped().await
}
