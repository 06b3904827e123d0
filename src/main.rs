//! The `tudu` binary: parse the command line and run it.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = tudu::config::Cli::from_env();
    match tudu::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tudu: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
