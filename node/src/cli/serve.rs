//! `hanse serve`

use super::ServeArgs;
use crate::node::Node;
use crate::node_dir::NodeDir;
use anyhow::Context;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let dir = NodeDir::new(&args.dir.dir);
    let mut config = dir.load_config()?;
    if let Some(http) = args.http {
        config.http.listen = http;
    }
    crate::telemetry::init(&config.log).map_err(anyhow::Error::msg)?;
    let node = Node::spawn(&dir, config)
        .await
        .with_context(|| format!("cannot start the node in {}", dir.root().display()))?;
    println!("hanse node serving on {}", node.http_url());
    println!("  SPARQL endpoint  {}/sparql", node.http_url());
    shutdown_signal().await;
    node.shutdown()
        .await
        .context("node did not shut down cleanly")?;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
