//! The `hanse` binary as a user runs it: init, serve, load, query and demo, including their
//! failure paths (exit codes and messages).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HANSE: &str = env!("CARGO_BIN_EXE_hanse");

fn hanse(args: &[&str]) -> Output {
    Command::new(HANSE)
        .args(args)
        .env_remove("HANSE_DIR")
        .output()
        .expect("run hanse")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs hanse expecting failure, and checks stderr names every `needle`.
fn fails_with(args: &[&str], needles: &[&str]) {
    let out = hanse(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = text(&out.stderr);
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: `{needle}` not in: {stderr}"
        );
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

fn init(dir: &Path, http: &str) {
    let out = hanse(&[
        "init",
        "--dir",
        dir.to_str().unwrap(),
        "--name",
        "delft",
        "--http",
        http,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A child process killed on drop, so a failing test never leaves a node running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Waits for a stdout line containing `needle` (bounded) and returns it.
    fn wait_for_line(&mut self, needle: &str) -> String {
        self.lines_until(needle).pop().unwrap_or_default()
    }

    /// Every stdout line up to and including the first that contains `needle`.
    fn lines_until(&mut self, needle: &str) -> Vec<String> {
        let stdout = self.0.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut lines = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(needle);
                    lines.push(line);
                    if done {
                        // Keep draining so the child never blocks on a full pipe.
                        std::thread::spawn(move || while rx.recv().is_ok() {});
                        return lines;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line containing `{needle}` within 90 s; got {lines:#?}");
    }

    fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill -INT");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "node did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(dir: &Path) -> Running {
    let child = Command::new(HANSE)
        .args(["serve", "--dir", dir.to_str().unwrap()])
        .env("HANSE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hanse serve");
    Running(child)
}

fn count_quads(dir: &Path) -> u64 {
    let out = hanse(&[
        "query",
        "--dir",
        dir.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("a count")
}

#[test]
fn version_names_the_commit() {
    let output = hanse(&["--version"]);
    assert!(output.status.success());
    let version = text(&output.stdout);
    let commit = version
        .trim()
        .strip_prefix(concat!("hanse ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{version}"));
    // A hash or `git describe` name; `unknown` only when built outside a git checkout.
    assert!(
        !commit.is_empty() && !commit.contains(char::is_whitespace),
        "{version}"
    );
}

#[test]
fn init_creates_owner_only_secrets_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let out = hanse(&["init", "--dir", dir.to_str().unwrap(), "--role", "utility"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("PeerId   12D3KooW"), "{stdout}");
    assert!(stdout.contains("did:key  did:key:z6Mk"), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["node.key", "admin.token"] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
    }
    let config = std::fs::read_to_string(dir.join("hanse.toml")).unwrap();
    assert!(
        config.contains("role = \"utility\"") && config.contains("# "),
        "{config}"
    );

    fails_with(&["init", "--dir", dir.to_str().unwrap()], &["--force"]);
    let forced = hanse(&["init", "--dir", dir.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));

    fails_with(
        &["init", "--dir", dir.to_str().unwrap(), "--role", "king"],
        &["king"],
    );
}

#[test]
fn second_serve_on_the_same_directory_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let http = format!("127.0.0.1:{}", free_port());
    init(tmp.path(), &http);
    let mut first = serve(tmp.path());
    first.wait_for_line("serving on");

    fails_with(
        &["serve", "--dir", tmp.path().to_str().unwrap()],
        &["already running", &first.0.id().to_string()],
    );
    assert!(first.interrupt().success());

    fails_with(
        &[
            "serve",
            "--dir",
            tmp.path().join("nothing").to_str().unwrap(),
        ],
        &["hanse init"],
    );
}

#[test]
fn load_offline_is_atomic_and_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node");
    init(&node, "127.0.0.1:0");
    let good = tmp.path().join("good.ttl");
    std::fs::write(&good, "<http://e/a> <http://e/p> 1, 2, 3 .\n").unwrap();
    let quads = tmp.path().join("more.nq");
    std::fs::write(&quads, "<http://e/b> <http://e/p> \"4\" <http://e/g> .\n").unwrap();
    let bad = tmp.path().join("bad.nt");
    std::fs::write(
        &bad,
        "<http://e/c> <http://e/p> \"5\" .\n<http://e/c> <http://e/p> .\n",
    )
    .unwrap();

    fails_with(
        &[
            "load",
            "--dir",
            node.to_str().unwrap(),
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        &["bad.nt", "line 2"],
    );
    assert_eq!(
        count_quads(&node),
        0,
        "a failed load must not write anything"
    );

    let out = hanse(&[
        "load",
        "--dir",
        node.to_str().unwrap(),
        good.to_str().unwrap(),
        quads.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("loaded 4 quads from 2 file(s)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(count_quads(&node), 4);

    let unknown = tmp.path().join("data.xyz");
    std::fs::write(&unknown, "").unwrap();
    fails_with(
        &[
            "load",
            "--dir",
            node.to_str().unwrap(),
            unknown.to_str().unwrap(),
        ],
        &["--format"],
    );
}

#[test]
fn load_and_query_through_a_running_node() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node");
    let http = format!("127.0.0.1:{}", free_port());
    init(&node, &http);
    let mut running = serve(&node);
    running.wait_for_line("serving on");

    let good = tmp.path().join("good.ttl");
    std::fs::write(
        &good,
        "@prefix e: <http://e/> .\ne:a e:name \"Alice\" .\ne:b e:name \"Bob\" .\n",
    )
    .unwrap();
    let bad = tmp.path().join("bad.ttl");
    std::fs::write(
        &bad,
        "@prefix e: <http://e/> .\ne:c e:name \"Carol\" .\ne:d e:name .\n",
    )
    .unwrap();

    fails_with(
        &[
            "load",
            "--dir",
            node.to_str().unwrap(),
            "--graph",
            "http://e/people",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        &["bad.ttl", "line 3"],
    );
    assert_eq!(count_quads(&node), 0);

    let out = hanse(&[
        "load",
        "--dir",
        node.to_str().unwrap(),
        "--graph",
        "http://e/people",
        good.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("through its API"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(count_quads(&node), 2);

    let table = hanse(&[
        "query",
        "--dir",
        node.to_str().unwrap(),
        "SELECT ?who ?name { GRAPH <http://e/people> { ?who <http://e/name> ?name } } ORDER BY ?name",
    ]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    assert_eq!(
        text(&table.stdout),
        "who          | name\n-------------+--------\n<http://e/a> | \"Alice\"\n<http://e/b> | \"Bob\"\n(2 rows)\n"
    );

    // By URL: a visitor sees no graph that is not in a public dataset; with a token file,
    // the caller is who the token names (here the operator).
    let url = format!("http://{http}");
    let ask = "ASK { GRAPH ?g { ?s ?p \"Bob\" } }";
    let visitor = hanse(&["query", "--url", &url, "--format", "json", ask]);
    assert!(
        text(&visitor.stdout).contains("\"boolean\":false"),
        "{}",
        text(&visitor.stdout)
    );
    let token_file = node.join("admin.token");
    let json = hanse(&[
        "query",
        "--url",
        &url,
        "--token-file",
        token_file.to_str().unwrap(),
        "--format",
        "json",
        ask,
    ]);
    assert!(
        text(&json.stdout).contains("\"boolean\":true"),
        "{}",
        text(&json.stdout)
    );

    fails_with(
        &["query", "--url", &url, "SELECT * WHERE { ?s ?p }"],
        &["SPARQL syntax error"],
    );
    assert!(running.interrupt().success());
}

/// Six consecutive free ports on loopback (the demo's nodes), returning the first.
fn six_free_ports() -> u16 {
    for _ in 0..100 {
        let base = free_port();
        if base < 65_000 && (1..6).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no six consecutive free ports");
}

/// Runs a printed example command with bash; returns stdout.
fn run_printed(command: &str) -> String {
    let command = command.replace("cargo run --release --", HANSE);
    let out = Command::new("bash")
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{command}` failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn demo_consortium_examples_work_as_printed_and_it_stops_on_ctrl_c() {
    let tmp = tempfile::tempdir().unwrap();
    let port = six_free_ports();
    let child = Command::new(HANSE)
        .args([
            "demo",
            "--http",
            &format!("127.0.0.1:{port}"),
            "--dir",
            tmp.path().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hanse demo");
    let mut demo = Running(child);
    let lines = demo.lines_until("Press Ctrl-C");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("every node holds all 6 verified catalogues")),
        "{lines:#?}"
    );
    let examples: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with("curl ") || l.starts_with("cargo run"))
        .collect();
    assert_eq!(examples.len(), 9, "{lines:#?}");

    // The README's first request, URL-encoded as curl --data-urlencode sends it.
    let first: serde_json::Value = serde_json::from_str(&run_printed(examples[0])).unwrap();
    assert_eq!(
        first["results"]["bindings"].as_array().map(Vec::len),
        Some(3)
    );
    // Bicycle counts of all four cities are in the federated catalogue.
    let transport: serde_json::Value = serde_json::from_str(&run_printed(examples[1])).unwrap();
    let bikes = transport
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["identifier"] == "bicycle-counts")
        .count();
    assert_eq!(bikes, 4, "{transport}");
    // Every city's and the utility's datasets, from another node's federated catalogue.
    let catalogue: serde_json::Value = serde_json::from_str(&run_printed(examples[2])).unwrap();
    assert_eq!(
        catalogue["results"]["bindings"].as_array().map(Vec::len),
        Some(12),
        "{catalogue}"
    );
    // Aggregates under the agreement; the district with 6 households is suppressed.
    let averages: serde_json::Value = serde_json::from_str(&run_printed(examples[3])).unwrap();
    assert_eq!(averages["status"], "complete", "{averages}");
    let districts: Vec<&str> = averages["results"]["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["district"]["value"].as_str())
        .collect();
    assert_eq!(districts, ["noord", "oost", "zuid"]);
    // Differentially private: ε = 1 charged of a budget of 10, and means still useful (every
    // household averages about 250 litres a day; the noise of a mean over 48 to 96
    // households is about 5 to 10 litres).
    let noise = &averages["privacy"]["noise"];
    assert_eq!(
        (&noise["epsilon"], &noise["remaining"]),
        (&serde_json::json!(1.0), &serde_json::json!(9.0)),
        "{averages}"
    );
    for binding in averages["results"]["results"]["bindings"]
        .as_array()
        .unwrap()
    {
        let mean: f64 = binding["mean"]["value"].as_str().unwrap().parse().unwrap();
        println!(
            "demo district mean: {} {mean}",
            binding["district"]["value"]
        );
        assert!((mean - 250.0).abs() < 100.0, "{averages}");
    }
    // Without the agreement: denied.
    let denied: serde_json::Value = serde_json::from_str(&run_printed(examples[4])).unwrap();
    assert_eq!(denied["status"], "denied", "{denied}");
    // Live sensors: every city's MQTT sources have stored readings.
    let ingest: serde_json::Value = serde_json::from_str(&run_printed(examples[5])).unwrap();
    let sources = ingest.as_array().unwrap();
    assert_eq!(sources.len(), 2, "{ingest}");
    assert!(
        sources
            .iter()
            .all(|s| s["mqtt_connected"] == true && s["messages_stored"].as_u64() >= Some(1)),
        "{ingest}"
    );
    // The latest state of Mechelen's live air-quality sensor.
    let latest: serde_json::Value = serde_json::from_str(&run_printed(examples[6])).unwrap();
    let entities = latest["results"]["bindings"].as_array().unwrap();
    assert!(
        entities.iter().any(|b| b["entity"]["value"]
            .as_str()
            .is_some_and(|e| e.ends_with("live/entity/aq-live-grote-markt"))),
        "{latest}"
    );
    // The `hanse query` example prints a table of mean NO2 per sensor.
    let table = run_printed(examples[7]);
    assert!(
        table.contains("no2") && table.contains("aq-0003"),
        "{table}"
    );
    // One federated query: observations per property from every city that may be asked.
    let federated = run_printed(examples[8]);
    assert!(
        federated.contains("observations")
            && federated.contains("no2")
            && federated.contains("Transportation"),
        "{federated}"
    );
    // The console's URLs: the home page is the console's shell, and the catalogue IRI gives
    // the harvestable DCAT-AP catalogue to a machine.
    let console: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with("http://"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(console.len(), 7, "{lines:#?}");
    let home = run_printed(&format!("curl -fsS {}", console[0]));
    assert!(home.contains("<title>hanse"), "{home}");
    let harvest = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("harvestable DCAT-AP: "))
        .expect("the harvest example is printed");
    let turtle = run_printed(harvest);
    assert!(
        turtle.contains("dcat:Catalog") && turtle.contains("hydra:"),
        "{turtle}"
    );
    assert!(demo.interrupt().success());
}

#[test]
fn consortium_workflow_from_create_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let (steward, city) = (tmp.path().join("steward"), tmp.path().join("city"));
    for (dir, name, role) in [
        (&steward, "flanders", "steward"),
        (&city, "mechelen", "city"),
    ] {
        let out = hanse(&[
            "init",
            "--dir",
            dir.to_str().unwrap(),
            "--name",
            name,
            "--role",
            role,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let doc = tmp.path().join("consortium.json");
    let doc_s = doc.to_str().unwrap();
    let ok = |args: &[&str]| {
        let out = hanse(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&[
        "consortium",
        "create",
        doc_s,
        "--id",
        "scifi",
        "--name",
        "SCIFI region",
    ]);
    ok(&[
        "consortium",
        "add-member",
        doc_s,
        "--node-dir",
        steward.to_str().unwrap(),
        "--steward",
    ]);
    ok(&[
        "consortium",
        "add-member",
        doc_s,
        "--node-dir",
        city.to_str().unwrap(),
        "--organisation",
        "Stad Mechelen",
    ]);

    // Unsigned: verification names the missing signatures.
    fails_with(&["consortium", "verify", doc_s], &["1 required"]);

    ok(&[
        "consortium",
        "sign",
        doc_s,
        "--dir",
        steward.to_str().unwrap(),
    ]);
    assert!(ok(&["consortium", "verify", doc_s]).contains("valid: version 1"));
    let shown = ok(&["consortium", "show", doc_s]);
    assert!(
        shown.contains("mechelen") && shown.contains("Stad Mechelen") && shown.contains("steward"),
        "{shown}"
    );
    let installed = ok(&[
        "consortium",
        "install",
        doc_s,
        "--dir",
        city.to_str().unwrap(),
    ]);
    assert!(installed.contains("installed version 1"), "{installed}");

    // Editing the signed document starts version 2; the old one is kept for --current.
    let v1 = tmp.path().join("v1.json");
    std::fs::copy(&doc, &v1).unwrap();
    let city_id = text(&hanse(&["consortium", "show", doc_s]).stdout)
        .lines()
        .find(|l| l.contains("mechelen"))
        .and_then(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("12D3KooW"))
                .map(str::to_owned)
        })
        .unwrap();
    assert!(
        ok(&["consortium", "remove-member", doc_s, "--peer-id", &city_id]).contains("version 2")
    );
    let refused = hanse(&[
        "consortium",
        "install",
        doc_s,
        "--dir",
        city.to_str().unwrap(),
    ]);
    assert!(
        !refused.status.success(),
        "an unsigned update must not install"
    );
    ok(&[
        "consortium",
        "sign",
        doc_s,
        "--dir",
        steward.to_str().unwrap(),
    ]);
    assert!(
        ok(&[
            "consortium",
            "verify",
            doc_s,
            "--current",
            v1.to_str().unwrap()
        ])
        .contains("follows version 1")
    );
    fails_with(
        &[
            "consortium",
            "verify",
            v1.to_str().unwrap(),
            "--current",
            doc_s,
        ],
        &["not newer"],
    );
}

#[test]
fn consortium_commands_explain_themselves_and_bad_files() {
    let help = hanse(&["consortium", "--help"]);
    let help = text(&help.stdout);
    for command in [
        "create",
        "add-member",
        "remove-member",
        "sign",
        "show",
        "verify",
        "install",
    ] {
        assert!(help.contains(command), "{help}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, "{\"document\": {\"consortium_id\": 5").unwrap();
    fails_with(
        &["consortium", "show", garbage.to_str().unwrap()],
        &["garbage.json", "not a membership document"],
    );
    let none = tmp.path().join("none.json");
    fails_with(
        &["consortium", "verify", none.to_str().unwrap()],
        &["cannot read"],
    );
    fails_with(
        &[
            "consortium",
            "add-member",
            garbage.to_str().unwrap(),
            "--peer-id",
            "nope",
            "--name",
            "x",
            "--role",
            "city",
        ],
        &["not a PeerId"],
    );
}

#[test]
fn audit_verify_passes_then_fails_after_one_flipped_byte() {
    use hanse_node::audit::{AuditDecision, AuditLog, AuditRecord, query_hash};
    use hanse_node::store::state::NodeState;
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path(), "127.0.0.1:0");
    let dir = hanse_node::NodeDir::new(tmp.path());
    let state_path = tmp.path().join("data/state");
    {
        let state = NodeState::open(&state_path).unwrap();
        let log = AuditLog::open(&state, dir.load_identity().unwrap()).unwrap();
        for (i, decision) in [
            AuditDecision::Deny,
            AuditDecision::Allow,
            AuditDecision::Allow,
        ]
        .into_iter()
        .enumerate()
        {
            log.append(AuditRecord {
                requester: format!("12D3KooWRequester{i}"),
                dataset: "https://water.example/consumption".into(),
                purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
                agreement: None,
                query_hash: query_hash("SELECT * { ?s ?p ?o }"),
                decision,
                reason: "test".into(),
                rows: None,
                person: None,
            })
            .unwrap();
        }
        state.flush().unwrap();
    }
    let d = tmp.path().to_str().unwrap();
    let verified = hanse(&["audit", "verify", "--dir", d]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(
        text(&verified.stdout).contains("3 entries"),
        "{}",
        text(&verified.stdout)
    );
    let shown = hanse(&["audit", "show", "--dir", d]);
    assert!(
        text(&shown.stdout).contains("12D3KooWRequester1"),
        "{}",
        text(&shown.stdout)
    );

    {
        let state = NodeState::open(&state_path).unwrap();
        let tree = state.db().open_tree("audit").unwrap();
        let mut bytes = tree.get(1u64.to_be_bytes()).unwrap().unwrap().to_vec();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        tree.insert(1u64.to_be_bytes(), bytes).unwrap();
        state.flush().unwrap();
    }
    fails_with(&["audit", "verify", "--dir", d], &["entry 1"]);
}

#[test]
fn datasets_offline_and_online_and_an_offline_catalogue_check() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node");
    let port = free_port();
    let http = format!("127.0.0.1:{port}");
    init(&node, &http);
    let dir = node.to_str().unwrap();

    // Offline: written straight into the state database.
    let out = hanse(&[
        "dataset",
        "create",
        "--dir",
        dir,
        "bikes",
        "--title",
        "Bicycle counts",
        "--graph",
        "https://data.example/graph/bikes",
        "--theme",
        "TRAN",
        "--access-rights",
        "public",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    fails_with(
        &[
            "dataset",
            "create",
            "--dir",
            dir,
            "bad",
            "--title",
            "X",
            "--graph",
            "https://data.example/g",
            "--theme",
            "WEATHER",
        ],
        &["dataset `bad`", "themes", "not an EU data theme"],
    );
    fails_with(
        &[
            "dataset", "create", "--dir", dir, "bikes", "--title", "Again", "--graph", "urn:g",
        ],
        &["already exists"],
    );
    let list = hanse(&["dataset", "list", "--dir", dir]);
    assert!(
        text(&list.stdout).contains("Bicycle counts"),
        "{}",
        text(&list.stdout)
    );

    // Online: through the API; the node signs the catalogue.
    let mut running = serve(&node);
    running.wait_for_line("serving on");
    let definition = tmp.path().join("air.toml");
    std::fs::write(
        &definition,
        "id = \"air\"\ntitle = { en = \"Air quality\", nl = \"Luchtkwaliteit\" }\n\
         description = \"NO2\"\ngraphs = [\"https://data.example/graph/air\"]\n",
    )
    .unwrap();
    let out = hanse(&[
        "dataset",
        "create",
        "--dir",
        dir,
        "--file",
        definition.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let show = hanse(&["dataset", "show", "--dir", dir, "air"]);
    assert!(
        text(&show.stdout).contains("Luchtkwaliteit"),
        "{}",
        text(&show.stdout)
    );

    // The signed catalogue, fetched over HTTP, verifies offline; a changed byte does not.
    let signed = tmp.path().join("catalogue.nq");
    let mut body = String::new();
    for _ in 0..100 {
        body = run_printed(&format!(
            "curl -fsS -H 'Accept: application/n-quads' http://{http}/api/catalog"
        ));
        if body.contains("dataset/air") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(&signed, &body).unwrap();
    let out = hanse(&["catalog", "verify", signed.to_str().unwrap()]);
    assert!(
        text(&out.stdout).starts_with("valid: catalogue version"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&signed, body.replace("Air quality", "Air qualitY")).unwrap();
    fails_with(
        &["catalog", "verify", signed.to_str().unwrap()],
        &["bad signature"],
    );
    assert!(running.interrupt().success());
}

/// The shell blocks (```sh) of a Markdown document, in order, as one script.
fn sh_blocks(markdown: &str) -> String {
    let mut script = String::new();
    let mut inside = false;
    for line in markdown.lines() {
        match (inside, line.trim_start()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, _) => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

/// docs/two-organisations.md run as written: every `sh` block, in order, in one shell with
/// `hanse` on the PATH, in an empty directory, on free ports in place of the document's.
#[test]
fn the_two_organisations_walkthrough_runs_as_written() {
    let doc = include_str!("../../docs/two-organisations.md");
    let mut script = sh_blocks(doc);
    assert!(
        script.lines().count() > 20,
        "the walkthrough has almost no commands:\n{script}"
    );
    for port in ["7801", "7802", "7901", "7902"] {
        script = script.replace(port, &free_port().to_string());
    }
    let work = tempfile::tempdir().unwrap();
    let bin = Path::new(HANSE).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Its own process group, so a timeout stops the nodes it started in the background too.
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .process_group(0)
        .current_dir(work.path())
        .env("PATH", path)
        .env_remove("HANSE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bash");
    // Drained on threads, so a chatty step never blocks on a full pipe.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for bash") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        Some(status) if status.success() => {
            println!("walkthrough passed:\n{out}");
        }
        Some(status) => {
            panic!("the walkthrough failed ({status}):\n--- stdout\n{out}\n--- stderr\n{err}")
        }
        None => panic!(
            "the walkthrough did not finish within 300 s:\n--- stdout\n{out}\n--- stderr\n{err}"
        ),
    }
}
