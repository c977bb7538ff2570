//! The documents API server. `cargo run -p axum-conditional-examples --bin documents -- --help`

use std::process::ExitCode;

use axum_conditional_examples::documents::config::{Config, Database, USAGE};
use axum_conditional_examples::documents::{self, serve, store::Store};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = match Config::from_args(std::env::args().skip(1), |key| std::env::var(key).ok()) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("{problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("documents: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let store = match &config.database {
        Database::InMemory => Store::in_memory()?,
        Database::Postgres(url) => Store::connect(url).await?,
        Database::File(path) => {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            Store::open(path)?
        }
    };
    let listener = serve::listen(config.addr)?;
    tracing::info!(
        addr = %listener.local_addr()?,
        database = %config.database,
        limits = ?config.limits,
        "listening"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let generation = store.generation(&config.generation).await?;
    tracing::info!(generation = generation.id(), "representation generation");
    let app = documents::app(store).layer(axum::Extension(generation));
    serve::serve(listener, app, config.limits, shutdown).await?;
    Ok(())
}
