//! Linux network namespaces for the testnet: every node on its own host, with its own address.
//!
//! The layout, made with iproute2 (`ip netns`, veth pairs, bridges; needs root):
//!
//! ```text
//!   root namespace (this process)          hub namespace           node namespaces
//!   hn<pid>m<i> 10.X.<i+1>.1/30 ── veth ─────────────────────────── mgmt 10.X.<i+1>.2/30  (HTTP API)
//!                                          br0 ── p<i> ── veth ──── eth0 10.X.0.<i+1>/24 (libp2p)
//!                                          br1  (the other side of a partition)
//! ```
//!
//! libp2p traffic crosses only the hub's bridges: a partition moves one side's ports onto
//! `br1`, so the two sides share no link and packets between them are simply lost, as on a
//! real network (no connection is refused or reset). Healing moves them back. The HTTP API
//! of each node sits on a separate point-to-point link to this process, so the scenario can
//! watch every node throughout; nodes have no route to each other's management links.
//!
//! The bridges live in their own namespace rather than the root one, where a firewall (e.g.
//! Docker's FORWARD policy with `br_netfilter`) could drop bridged traffic.

use anyhow::{Context, Result, bail};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

/// Port of every node's HTTP API (each node has its own address, so one port serves all).
const HTTP_PORT: u16 = 7878;
/// Port of every node's libp2p listener.
const P2P_PORT: u16 = 4001;
/// Prefix of the namespaces this module creates (`hn<pid>-hub`, `hn<pid>-n<i>`).
const PREFIX: &str = "hn";

/// Where one node listens.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The HTTP API address.
    pub http: SocketAddr,
    /// The libp2p listen multiaddress (without `/p2p/`).
    pub p2p: String,
    /// The namespace the node runs in, if any.
    pub netns: Option<String>,
}

/// A set of node namespaces joined by a hub; deleted when dropped.
#[derive(Debug)]
pub struct NamespaceNet {
    tag: String,
    /// Second octet of the 10.X.0.0/16 block the testnet uses.
    block: u8,
    nodes: usize,
}

impl NamespaceNet {
    /// Creates the hub and `nodes` node namespaces; the error says why namespaces cannot be
    /// used here (not root, no iproute2, no permission), so the caller can fall back.
    pub fn create(nodes: usize) -> Result<Self> {
        if nodes > 250 {
            bail!("at most 250 nodes fit one namespace testnet, not {nodes}");
        }
        remove_stale();
        let pid = std::process::id();
        let net = Self {
            tag: format!("{PREFIX}{pid}"),
            // Spread concurrent runs over 10.100.0.0 – 10.199.255.255.
            block: 100 + (pid % 100) as u8,
            nodes,
        };
        // From here on, dropping `net` removes whatever was made.
        net.build().context("cannot set up network namespaces")?;
        Ok(net)
    }

    fn hub(&self) -> String {
        format!("{}-hub", self.tag)
    }

    fn node_ns(&self, index: usize) -> String {
        format!("{}-n{index}", self.tag)
    }

    fn build(&self) -> Result<()> {
        let hub = self.hub();
        ip(&["netns", "add", &hub])?;
        for bridge in ["br0", "br1"] {
            ip(&["-n", &hub, "link", "add", bridge, "type", "bridge"])?;
            ip(&["-n", &hub, "link", "set", bridge, "up"])?;
        }
        for index in 0..self.nodes {
            let ns = self.node_ns(index);
            let management = format!("{}m{index}", self.tag);
            let port = format!("p{index}");
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&[
                "link",
                "add",
                &management,
                "type",
                "veth",
                "peer",
                "name",
                "mgmt",
                "netns",
                &ns,
            ])?;
            let (host, node) = self.management_pair(index);
            ip(&["addr", "add", &format!("{host}/30"), "dev", &management])?;
            ip(&["link", "set", &management, "up"])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{node}/30"),
                "dev",
                "mgmt",
            ])?;
            ip(&["-n", &ns, "link", "set", "mgmt", "up"])?;
            ip(&[
                "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns",
                &hub,
            ])?;
            let data = format!("{}/24", self.data_address(index));
            ip(&["-n", &ns, "addr", "add", &data, "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &hub, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &hub, "link", "set", &port, "up"])?;
        }
        Ok(())
    }

    /// The management link's addresses: this process's end and the node's end.
    fn management_pair(&self, index: usize) -> (Ipv4Addr, Ipv4Addr) {
        let third = (index + 1) as u8;
        (
            Ipv4Addr::new(10, self.block, third, 1),
            Ipv4Addr::new(10, self.block, third, 2),
        )
    }

    /// The node's address on the data network (libp2p).
    fn data_address(&self, index: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, self.block, 0, (index + 1) as u8)
    }

    /// Where each node listens: HTTP on its management address, libp2p on its data address.
    pub fn endpoints(&self) -> Vec<Endpoints> {
        (0..self.nodes)
            .map(|index| Endpoints {
                http: SocketAddr::from((self.management_pair(index).1, HTTP_PORT)),
                p2p: format!("/ip4/{}/tcp/{P2P_PORT}", self.data_address(index)),
                netns: Some(self.node_ns(index)),
            })
            .collect()
    }

    /// Cuts the nodes in `side` off from the others (their ports move to the second bridge).
    pub fn partition(&self, side: &[usize]) -> Result<()> {
        for &index in side {
            self.attach(index, "br1")?;
        }
        Ok(())
    }

    /// Puts every node back on one network.
    pub fn heal(&self) -> Result<()> {
        for index in 0..self.nodes {
            self.attach(index, "br0")?;
        }
        Ok(())
    }

    fn attach(&self, index: usize, bridge: &str) -> Result<()> {
        ip(&[
            "-n",
            &self.hub(),
            "link",
            "set",
            &format!("p{index}"),
            "master",
            bridge,
        ])
    }
}

impl Drop for NamespaceNet {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends, and with them their peers here.
        remove_namespaces(|name| {
            name == self.hub() || name.starts_with(&format!("{}-n", self.tag))
        });
    }
}

/// Runs `ip ARGS`; the error carries the command and what it printed.
fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("cannot run `ip` (iproute2)")?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Names of the existing network namespaces.
fn namespaces() -> Vec<String> {
    Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                // Lines read `name` or `name (id: N)`.
                .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn remove_namespaces(mut matches: impl FnMut(&str) -> bool) {
    for name in namespaces() {
        if matches(&name)
            && let Err(e) = ip(&["netns", "delete", &name])
        {
            tracing::warn!("{e}");
        }
    }
}

/// Removes namespaces left by testnets whose process died without cleaning up (SIGKILL).
fn remove_stale() {
    remove_namespaces(|name| {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            return false;
        };
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest[pid.len()..].starts_with('-')
            && pid
                .parse::<u32>()
                .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_per_node_and_link() {
        let net = NamespaceNet {
            tag: "hn1".into(),
            block: 150,
            nodes: 3,
        };
        let endpoints = net.endpoints();
        assert_eq!(endpoints[0].http.to_string(), "10.150.1.2:7878");
        assert_eq!(endpoints[2].p2p, "/ip4/10.150.0.3/tcp/4001");
        assert_eq!(endpoints[1].netns.as_deref(), Some("hn1-n1"));
        // Not a real namespace set: nothing to delete.
        std::mem::forget(net);
    }
}
