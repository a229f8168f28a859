#!/usr/bin/env python3
"""Sends the hostile queries of tests/tests/e2e/hostile.rs to SPARQL endpoints side by side and
says which survive: hanse (`hanse serve`) and the anchor, `oxigraph serve` (install it with
`cargo install oxigraph-cli --no-default-features`, an in-memory store, no RocksDB build).

Outside CI: it starts each server itself, restarts it when a query kills it, and prints one
row per query class. Usage:

    scripts/hostile_anchor.py --hanse target/release/hanse --oxigraph ~/.cargo/bin/oxigraph
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

P = "<http://e.example/p>"
# hanse's defaults: max_nesting 160, max_algebra_depth 128, max_query_bytes 64 KiB.
DEEP = 1600
LONG = 1280


def nested(open_, middle, close, n):
    return open_ * n + middle + close * n


def chain(link, separator, n):
    return separator.join([link] * n)


def hostile_queries():
    """Every class at ten times hanse's limits, as in tests/tests/e2e/hostile.rs."""
    return [
        ("nested groups", "SELECT * WHERE " + nested("{ ", "?s ?p ?o", " }", DEEP)),
        ("nested parentheses", "SELECT * WHERE { ?s ?p ?o FILTER" + nested("(", "?o", ")", DEEP) + " }"),
        ("nested blank-node lists", f"SELECT * WHERE {{ ?s {P} " + nested(f"[ {P} ", "?o", " ]", DEEP) + " }"),
        ("nested collections", f"SELECT * WHERE {{ ?s {P} " + nested("( ", "?o", " )", DEEP) + " }"),
        ("nested sub-selects", "SELECT * WHERE " + nested("{ SELECT * WHERE { ", "?s ?p ?o", " } }", DEEP)),
        ("nested function calls", "SELECT * WHERE { ?s ?p ?o FILTER(" + nested("STR(", "?o", ")", DEEP) + ") }"),
        ("nested EXISTS", "SELECT * WHERE { ?s ?p ?o " + nested("FILTER EXISTS { ?s ?p ?o ", "", "}", DEEP) + " }"),
        ("nested property paths", "SELECT * WHERE { ?s " + nested("(", P, ")", DEEP) + " ?o }"),
        ("UNION chain", "SELECT * WHERE { " + chain("{ ?s ?p ?o }", " UNION ", LONG) + " }"),
        ("OPTIONAL chain", "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * LONG + "}"),
        ("MINUS chain", "SELECT * WHERE { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * LONG + "}"),
        ("BIND chain", "SELECT * WHERE { ?s ?p ?o " + "".join(f"BIND(1 AS ?b{i}) " for i in range(LONG)) + "}"),
        ("|| chain", "SELECT * WHERE { ?s ?p ?o FILTER(" + chain("?o = 1", " || ", LONG) + ") }"),
        ("arithmetic chain", "SELECT * WHERE { ?s ?p ?o FILTER(" + chain("1", " + ", LONG) + " > 0) }"),
        ("property path sequence", "PREFIX e: <http://e.example/> SELECT * WHERE { ?s "
         + chain("e:p", "/", 65536 // 4 - 20) + " ?o }"),
        ("property path alternatives", "SELECT * WHERE { ?s " + chain(P, "|", LONG) + " ?o }"),
        ("join of 128 patterns", "SELECT * WHERE { " + "".join(f"?s <http://e.example/p{i}> ?o{i} . " for i in range(128)) + "}"),
        ("oversized query", "SELECT * WHERE { ?s ?p ?o } # " + "x" * 655360),
    ]


def post(url, query, timeout):
    request = urllib.request.Request(
        url,
        data=query.encode(),
        headers={"content-type": "application/sparql-query", "accept": "application/sparql-results+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(300).decode(errors="replace")


class Server:
    """A server process that can be restarted after a query kills it."""

    def __init__(self, name, command, url, setup=None):
        self.name, self.command, self.url, self.setup = name, command, url, setup
        self.process = None

    def start(self):
        if self.setup:
            self.setup()
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                post(self.url, "ASK {}", 2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start")

    def alive(self):
        if self.process.poll() is not None:
            return False
        try:
            return post(self.url, "ASK {}", 10)[0] == 200
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def run(server, queries, timeout):
    rows = []
    server.start()
    for name, query in queries:
        started = time.time()
        try:
            status, body = post(server.url, query, timeout)
            outcome = f"{status} {body.strip()[:70]}"
        except OSError as error:
            outcome = f"no answer ({type(error).__name__})"
        seconds = time.time() - started
        if server.alive():
            verdict = "survived"
        else:
            code = server.process.poll()
            tail = server.process.stderr.read().decode(errors="replace").strip().splitlines()[-1:] if code is not None else []
            verdict = f"DIED (exit {code}{': ' + tail[0][:60] if tail else ''})"
            server.stop()
            server.start()
        rows.append((name, verdict, f"{seconds:.2f}s", outcome))
    server.stop()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hanse", default="target/release/hanse")
    parser.add_argument("--oxigraph", default=shutil.which("oxigraph") or "oxigraph")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--only", choices=["hanse", "oxigraph"], help="run one server alone")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hostile-anchor-")
    node = os.path.join(work, "node")

    def init_hanse():
        if not os.path.exists(node):
            subprocess.run([args.hanse, "init", "--dir", node, "--http", "127.0.0.1:7391"],
                           check=True, stdout=subprocess.DEVNULL)

    servers = [
        Server("hanse", [args.hanse, "serve", "--dir", node], "http://127.0.0.1:7391/sparql", init_hanse),
        Server("oxigraph", [args.oxigraph, "serve", "--bind", "127.0.0.1:7392"], "http://127.0.0.1:7392/query"),
    ]
    servers = [server for server in servers if args.only in (None, server.name)]
    queries = hostile_queries()
    results = {server.name: run(server, queries, args.timeout) for server in servers}
    print(f"{'query class':<28} " + "".join(f"{name:<32}" for name in results))
    survived = {name: 0 for name in results}
    for i, (name, _) in enumerate(queries):
        cells = []
        for server in results:
            _, verdict, seconds, outcome = results[server][i]
            survived[server] += verdict == "survived"
            cells.append(f"{verdict} {seconds}")
        print(f"{name:<28} " + "".join(f"{cell:<32}" for cell in cells))
    for server, count in survived.items():
        print(f"{server}: survived {count} of {len(queries)}")
    for server in results:
        print(f"\n{server} answers:")
        for name, _, _, outcome in results[server]:
            print(f"  {name:<28} {outcome}")


if __name__ == "__main__":
    main()
