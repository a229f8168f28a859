//! Helpers shared by tests, the testnet and benchmarks (feature `test-utils`): nodes on
//! ephemeral loopback ports with seeded keys, and in-process consortia.

use crate::config::{Config, Role};
use crate::node::{Node, NodeHandle};
use crate::node_dir::{InitOptions, NodeDir};
use crate::trust::consortium::{Member, MembershipDocument, SignedMembership};
use crate::trust::identity::NodeIdentity;
use crate::trust::membership::CONSORTIUM_FILE;
use std::net::SocketAddr;
use tempfile::TempDir;

/// An ODRL offer that lets every member use a dataset for any purpose.
pub const OPEN_OFFER: &str = "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n\
<#offer> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] .";

impl Node {
    /// Creates a node directory in `dir` (HTTP on an ephemeral loopback port), lets
    /// `configure` adjust the configuration, and starts the node.
    pub async fn spawn_for_tests(
        dir: &std::path::Path,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<(NodeHandle, NodeDir)> {
        let node_dir = NodeDir::new(dir);
        node_dir.init(InitOptions {
            name: "test-node".into(),
            role: Role::City,
            http_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            p2p_listen: None,
            mdns: false,
            force: true,
            identity: None,
        })?;
        let mut config = node_dir.load_config()?;
        configure(&mut config);
        let handle = Node::spawn(&node_dir, config).await?;
        Ok((handle, node_dir))
    }
}

/// A node directory in a temporary folder, initialised but not started.
pub struct PreparedNode {
    /// Display name (`node0`, `node1`…).
    pub name: String,
    /// Its key, derived from a seed so PeerIds are stable across runs.
    pub identity: NodeIdentity,
    /// The directory.
    pub dir: NodeDir,
    _tmp: TempDir,
}

/// Creates `n` node directories `node0…`; node 0 has role steward, the others city.
pub fn prepare_nodes(n: usize, seed: u8) -> anyhow::Result<Vec<PreparedNode>> {
    (0..n)
        .map(|i| {
            let tmp = tempfile::tempdir()?;
            let dir = NodeDir::new(tmp.path());
            let mut key = [seed; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let identity = NodeIdentity::from_seed(key);
            let name = format!("node{i}");
            dir.init(InitOptions {
                name: name.clone(),
                role: if i == 0 { Role::Steward } else { Role::City },
                http_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                p2p_listen: None,
                mdns: false,
                force: false,
                identity: Some(identity.clone()),
            })?;
            Ok(PreparedNode {
                name,
                identity,
                dir,
                _tmp: tmp,
            })
        })
        .collect()
}

/// A membership document listing `nodes`, the first as sole steward (threshold 1), signed.
pub fn test_consortium(nodes: &[&PreparedNode]) -> anyhow::Result<SignedMembership> {
    let roles: Vec<Role> = (0..nodes.len())
        .map(|i| if i == 0 { Role::Steward } else { Role::City })
        .collect();
    test_consortium_with_roles(nodes, &roles)
}

/// Like [`test_consortium`], with each member's role given (node 0 still signs as steward).
pub fn test_consortium_with_roles(
    nodes: &[&PreparedNode],
    roles: &[Role],
) -> anyhow::Result<SignedMembership> {
    let mut document = MembershipDocument::new("test-consortium", "Test consortium", 1);
    for (node, role) in nodes.iter().zip(roles) {
        document.members.push(Member {
            peer_id: node.identity.peer_id().to_string(),
            name: node.name.clone(),
            organisation: format!("{} org", node.name),
            role: *role,
            addresses: vec![],
        });
    }
    if let Some(steward) = nodes.first() {
        document
            .stewards
            .push(steward.identity.peer_id().to_string());
        let mut signed = SignedMembership::unsigned(document);
        signed.sign(&steward.identity)?;
        signed.verify_genesis()?;
        Ok(signed)
    } else {
        anyhow::bail!("a consortium needs at least one node")
    }
}

impl PreparedNode {
    /// Installs `document` as the node's consortium membership.
    pub fn install(&self, document: &SignedMembership) -> std::io::Result<()> {
        std::fs::write(self.dir.root().join(CONSORTIUM_FILE), document.to_json())
    }

    /// Starts the node: p2p on loopback TCP (ephemeral port), no mDNS, `bootstrap` dialled.
    pub async fn start(&self, bootstrap: &[String]) -> anyhow::Result<NodeHandle> {
        let mut config = self.dir.load_config()?;
        config.p2p.listen = vec!["/ip4/127.0.0.1/tcp/0".into()];
        config.p2p.mdns = false;
        config.p2p.bootstrap = bootstrap.to_vec();
        Ok(Node::spawn(&self.dir, config).await?)
    }
}

/// A Mosquitto broker process on a free loopback port, stopped on drop: the real broker
/// next to the embedded one, for tests, scenarios and benchmarks.
pub struct Mosquitto {
    child: std::process::Child,
    port: u16,
}

impl Mosquitto {
    /// Whether `mosquitto` is on the PATH.
    pub fn installed() -> bool {
        std::process::Command::new("mosquitto")
            .arg("-h")
            .output()
            .is_ok()
    }

    /// Whether tests can use Mosquitto: `false` if it is not installed, an error if it is
    /// not installed but `HANSE_REQUIRE_MOSQUITTO` is set (as `.ci/run` does).
    pub fn available() -> anyhow::Result<bool> {
        if Self::installed() {
            return Ok(true);
        }
        if std::env::var_os("HANSE_REQUIRE_MOSQUITTO").is_some() {
            anyhow::bail!("HANSE_REQUIRE_MOSQUITTO is set but `mosquitto` is not on PATH");
        }
        Ok(false)
    }

    /// Starts `mosquitto` with its configuration in `dir`; `None` where it is not
    /// [`available`](Self::available).
    ///
    /// Each session may hold 1,000 unacknowledged messages (Mosquitto's default is 20), and
    /// a persistent session queues without limit while its node is down (default: 1,000,
    /// after which Mosquitto drops messages it has acknowledged to the publisher).
    pub fn start(dir: &std::path::Path) -> anyhow::Result<Option<Mosquitto>> {
        if !Self::available()? {
            return Ok(None);
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config = dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_inflight_messages 1000\nmax_queued_messages 0\n"
            ),
        )?;
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let broker = Mosquitto { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(broker.addr()).is_ok() {
                return Ok(Some(broker));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        anyhow::bail!("mosquitto did not listen on {port} within 5 s")
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its URL for mapping files: `mqtt://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr())
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
