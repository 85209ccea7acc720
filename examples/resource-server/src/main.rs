//! Runs the example resource server: `resource-server --issuer http://127.0.0.1:3000
//! --audience https://orders.example --listen 127.0.0.1:4000`.

use std::sync::Arc;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Entente's issuer identifier (production's, or `{issuer}/sandbox`).
    #[arg(long, env = "ENTENTE_ISSUER")]
    issuer: String,
    /// This API's audience identifier, as registered in Entente.
    #[arg(long, env = "AUDIENCE")]
    audience: String,
    #[arg(long, default_value = "127.0.0.1:4000")]
    listen: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let verifier = resource_server::Verifier::discover(&args.issuer, &args.audience).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    println!("orders API on http://{}/orders", listener.local_addr()?);
    axum::serve(listener, resource_server::router(Arc::new(verifier))).await?;
    Ok(())
}
