#!/usr/bin/env python3
"""Import graph of the workspace's crates, and the circles in it, at two levels.

File level: a file imports another when it names an item defined there: in a `use` (grouped
or not), or in a path written inline (`crate::a::b::f()`, `super::X`). `pub use` lines of a
module file are its table of contents, not imports: paths are followed through them to the
file that defines the item. `#[cfg(test)] mod tests` blocks count like any other code.

Module level: each file is collapsed to the top-level module of its crate that holds it
(`node/src/access.rs` and `node/src/access/remote_query.rs` are both `node::access`; a file
directly in src such as `node/src/node.rs` is its own module `node::node`). The crate root
(lib.rs, main.rs) is no module here: imports from or to it are left out. Imports between two
files of the same module do not count either.

Prints every circle (strongly connected component of more than one file, or of more than one
module) and exits 1 if there is one at either level. A module circle lists, for each of its
edges, the file imports that make it and the paths they name, so one can see what to move.
`--graph` prints every file-level edge, `--modules` every module-level edge. Run from the
workspace root:

    python3 .ci/import_cycles.py [--graph] [--modules]
"""

import os
import re
import sys

CRATES = ["vocab", "policy", "sensor-adapters", "node", "testnet", "tests"]


def module_files(src):
    """Maps module paths (tuples) to files for one crate's src folder."""
    modules = {}
    for root, _dirs, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)[: -len(".rs")].split(os.sep)
            if rel in (["lib"], ["main"]):
                key = () if rel == ["lib"] or not os.path.exists(os.path.join(src, "lib.rs")) else ("<main>",)
            elif rel[-1] == "mod":
                key = tuple(rel[:-1])
            else:
                key = tuple(rel)
            modules[key] = path
    return modules


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals may hold `crate::` in messages; drop their contents.
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def expand_use_tree(tree):
    """`a::{b, c::{d, e as f}}` -> [[a,b], [a,c,d], [a,c,e]]."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, text):
        # split top-level commas
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(text):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        for part in parts:
            if not part:
                continue
            brace = part.find("{")
            if brace >= 0:
                head = part[:brace].rstrip(":")
                inner = part[brace + 1 : part.rfind("}")]
                walk(prefix + [s for s in head.split("::") if s], inner)
            else:
                part = re.sub(r"as\w+$", "", part) if "as" in part and "::" not in part[-3:] else part
                segs = [s for s in part.split("::") if s]
                segs = [re.sub(r"^(\w+)as\w+$", r"\1", s) for s in segs]
                out.append(prefix + segs)

    walk([], tree)
    return out


def inline_modules(text):
    """(start, end) spans of inline `mod name { ... }` blocks."""
    spans = []
    for m in re.finditer(r"\bmod\s+\w+\s*\{", text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        spans.append((m.start(), i))
    return spans


def local_path(segs, depth):
    """Drops the `super`s that only leave inline modules; None if the path stays in the file."""
    if depth == 0:
        return segs
    if segs[0] == "self":
        return None
    supers = 0
    while supers < len(segs) and segs[supers] == "super":
        supers += 1
    if supers == 0:
        return segs
    if supers <= depth:
        return None
    return segs[depth:]


def parse_file(text):
    """Returns (uses, reexports, inline paths) of one file's text."""
    spans = inline_modules(text)
    depth_at = lambda pos: sum(1 for a, b in spans if a < pos < b)
    uses, reexports, inline = [], [], []
    for m in re.finditer(r"(?m)^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", text):
        is_pub = m.group(1) is not None and m.group(1).strip() == "pub"
        depth = depth_at(m.start())
        for path in expand_use_tree(m.group(2)):
            path = local_path(path, depth) if path else path
            if path:
                (reexports if is_pub and depth == 0 else uses).append(path)
    body = re.sub(r"(?m)^\s*(pub(?:\([^)]*\))?\s+)?use\s+[^;]+;", lambda m: " " * len(m.group(0)), text)
    for m in re.finditer(r"\b(?:crate|super|self)(?:::\w+)+", body):
        path = local_path(m.group(0).split("::"), depth_at(m.start()))
        if path:
            inline.append(path)
    return uses, reexports, inline


class Crate:
    def __init__(self, name, src):
        self.name = name
        self.modules = module_files(src)
        self.key_of = {path: key for key, path in self.modules.items()}
        self.parsed = {}
        for key, path in self.modules.items():
            with open(path, encoding="utf-8") as f:
                self.parsed[key] = parse_file(strip_comments(f.read()))

    def absolute(self, here, segs):
        """Turns a path written in module `here` into an absolute one, or None if external."""
        segs = list(segs)
        if not segs:
            return None
        base = list(here) if here != ("<main>",) else []
        if segs[0] == "crate":
            return segs[1:]
        if segs[0] in ("self", "super"):
            cur = base
            while segs and segs[0] in ("self", "super"):
                if segs[0] == "super":
                    cur = cur[:-1]
                segs = segs[1:]
            return cur + segs
        # A child module named without `self::` (edition 2018 paths).
        if tuple(base + [segs[0]]) in self.modules:
            return base + segs
        return None

    def resolve(self, segs, seen=None):
        """The file defining the item at absolute path `segs`."""
        seen = seen or set()
        key = tuple(segs)
        if key in seen:
            return None
        seen.add(key)
        for n in range(len(segs), -1, -1):
            mod = tuple(segs[:n])
            if mod in self.modules:
                if n == len(segs) or segs[n] == "*":
                    return self.modules[mod]
                name = segs[n]
                # Follow `pub use` re-exports of that module.
                for reexport in self.parsed[mod][1]:
                    if reexport and reexport[-1] in (name, "*"):
                        target = self.absolute(mod, reexport)
                        if target is None:
                            continue
                        if reexport[-1] == "*":
                            target = target[:-1] + [name]
                        found = self.resolve(target + segs[n + 1 :], seen)
                        if found:
                            return found
                return self.modules[mod]
        return None

    def imports(self):
        """{(importing file, imported file): set of the paths, as written, that import it}."""
        result = {}
        for mod, (uses, _reexports, inline) in self.parsed.items():
            here = self.modules[mod]
            for segs in uses + inline:
                target = self.absolute(mod, segs)
                if target is None:
                    continue
                found = self.resolve(target)
                if found and found != here:
                    result.setdefault((here, found), set()).add("::".join(segs))
        return result

    def top_module(self, path):
        """`crate::top` for the top-level module holding file `path`; None for the crate root."""
        key = self.key_of[path]
        if not key or key == ("<main>",):
            return None
        return f"{self.name}::{key[0]}"


def module_imports(crate, file_imports):
    """Collapses file imports to {(module, module): [(file, file, paths)]}, roots left out."""
    result = {}
    for (a, b), paths in sorted(file_imports.items()):
        ma, mb = crate.top_module(a), crate.top_module(b)
        if ma is None or mb is None or ma == mb:
            continue
        result.setdefault((ma, mb), []).append((a, b, sorted(paths)))
    return result


def strongly_connected(nodes, edges):
    graph = {n: [] for n in nodes}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(start):
        # Iterative Tarjan, so deep graphs cannot overflow Python's stack.
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter[0]
                counter[0] += 1
                stack.append(node)
                on.add(node)
            recurse = False
            for j in range(i, len(graph[node])):
                nxt = graph[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])

    for n in graph:
        if n not in index:
            visit(n)
    return out


def circles(nodes, edges):
    """The strongly connected components of more than one node, each sorted."""
    return [sorted(comp) for comp in strongly_connected(nodes, edges) if len(comp) > 1]


def print_file_circle(comp, file_imports):
    members = set(comp)
    print("circle: " + ", ".join(comp))
    for a, b in sorted(e for e in file_imports if e[0] in members and e[1] in members):
        print(f"    {a} -> {b}")


def print_module_circle(comp, mod_imports):
    members = set(comp)
    print("module circle: " + ", ".join(comp))
    for ma, mb in sorted(e for e in mod_imports if e[0] in members and e[1] in members):
        print(f"    {ma} -> {mb}")
        for a, b, paths in mod_imports[(ma, mb)]:
            print(f"        {a} -> {b}: {', '.join(paths)}")


def main():
    show_graph = "--graph" in sys.argv
    show_modules = "--modules" in sys.argv
    file_imports, mod_imports, files, modules = {}, {}, set(), set()
    file_circles, mod_circles = [], []
    for name in CRATES:
        src = os.path.join(name, "src")
        if not os.path.isdir(src):
            continue
        crate = Crate(name, src)
        imports = crate.imports()
        collapsed = module_imports(crate, imports)
        crate_modules = {m for m in map(crate.top_module, crate.modules.values()) if m}
        file_imports.update(imports)
        mod_imports.update(collapsed)
        files |= set(crate.modules.values())
        modules |= crate_modules
        file_circles += circles(crate.modules.values(), imports)
        mod_circles += circles(crate_modules, collapsed)
    if show_graph:
        for a, b in sorted(file_imports):
            print(f"{a} -> {b}")
    if show_modules:
        for (ma, mb), via in sorted(mod_imports.items()):
            print(f"{ma} -> {mb}  ({len(via)} file imports)")
    print(f"{len(files)} files, {len(file_imports)} file-level imports, {len(file_circles)} circles")
    for comp in file_circles:
        print_file_circle(comp, file_imports)
    print(f"{len(modules)} modules, {len(mod_imports)} module-level imports, "
          f"{len(mod_circles)} module circles")
    for comp in mod_circles:
        print_module_circle(comp, mod_imports)
    return 1 if file_circles or mod_circles else 0


if __name__ == "__main__":
    sys.exit(main())
