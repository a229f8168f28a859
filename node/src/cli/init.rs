//! `hanse init`

use super::InitArgs;
use crate::node_dir::{InitOptions, NodeDir};
use anyhow::Context;

pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let dir = NodeDir::new(&args.dir.dir);
    let identity = dir
        .init(InitOptions {
            name: args.name.clone(),
            role: args.role,
            http_listen: args.http,
            p2p_listen: args.p2p,
            mdns: args.mdns,
            force: args.force,
            identity: None,
        })
        .with_context(|| format!("cannot initialise a node in {}", dir.root().display()))?;
    println!(
        "Created hanse node `{}` ({}) in {}",
        args.name,
        args.role,
        dir.root().display()
    );
    println!("  PeerId   {}", identity.peer_id());
    println!("  did:key  {}", identity.did_key());
    let config = dir
        .load_config()
        .with_context(|| format!("cannot read back {}", dir.config_path().display()))?;
    println!("  http     {}", config.http.listen);
    println!(
        "  p2p      {}{}",
        config.p2p.listen.join(", "),
        if config.p2p.mdns { " (mDNS on)" } else { "" }
    );
    if args.p2p.is_none() && config.http.listen.ip().is_loopback() {
        println!(
            "           on loopback only, like the HTTP API: other organisations' nodes cannot reach it until p2p.listen in hanse.toml names an address they can"
        );
    }
    println!("  config   {}", dir.config_path().display());
    println!("  key      {} (mode 0600)", dir.key_path().display());
    println!("  token    {} (mode 0600)", dir.token_path().display());
    println!();
    println!("Start it with: hanse serve --dir {}", dir.root().display());
    Ok(())
}
