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
    println!("  config   {}", dir.config_path().display());
    println!("  key      {} (mode 0600)", dir.key_path().display());
    println!("  token    {} (mode 0600)", dir.token_path().display());
    println!();
    println!("Start it with: hanse serve --dir {}", dir.root().display());
    Ok(())
}
