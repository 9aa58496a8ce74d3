#!/usr/bin/env python3
"""The module graph of kefu's crates, and its cycles.

    python3 tools/modgraph.py            # every crate: cycles (exit 1 if any)
    python3 tools/modgraph.py --edges    # also print every module's dependencies
    python3 tools/modgraph.py --dot      # the graph in Graphviz dot

A node is a module file (`src/api/engine.rs` is `api::engine`). A module
depends on another when its code names it — `use crate::x::…`, `crate::x::…`
in an expression or type, `super::…` — outside its `#[cfg(test)]` tests. The
crate root is a facade: it declares the modules and re-exports, so its own
edges are left out (a module naming `crate::Thing` re-exported by the root is
resolved to the module that defines it when the root says `pub use x::Thing`).
Crates themselves cannot form cycles (cargo refuses them); the layering
cli → server → store → core is checked from their Cargo.toml files.

Standard library only, so anyone can run it with the repository's Python 3.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["kefu-core", "kefu-encoder", "kefu-store", "kefu-server", "kefu-cli"]
# Which crates each may depend on (inward only).
ALLOWED = {
    "kefu-core": set(),
    "kefu-encoder": set(),
    "kefu-store": {"kefu-core"},
    "kefu-server": {"kefu-core", "kefu-store"},
    "kefu-cli": {"kefu-core", "kefu-store", "kefu-server", "kefu-encoder"},
}


def strip_tests(text):
    """The text without `#[cfg(test)]` items (a test module may use anything)."""
    out = []
    i = 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth = 0
        j = m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1
    out.append(text[i:])
    return "".join(out)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def module_of(src, path):
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def crate_graph(crate_dir):
    src = crate_dir / "src"
    files = {}
    for p in sorted(src.rglob("*.rs")):
        if "bin" in p.relative_to(src).parts:
            continue
        files[module_of(src, p)] = strip_comments(strip_tests(p.read_text(encoding="utf-8")))
    modules = set(files)
    root = files.get("", "")
    # `pub use x::y::Thing;` in the root: crate::Thing lives in x::y.
    reexports = {}
    for m in re.finditer(r"pub\s+use\s+(?:self::)?([\w:]+)::\{([^}]*)\}", root):
        for name in re.split(r"\s*,\s*", m.group(2).strip()):
            name = name.split(" as ")[-1].strip()
            if name:
                reexports[name] = m.group(1)
    for m in re.finditer(r"pub\s+use\s+(?:self::)?([\w:]+)::(\w+)\s*;", root):
        reexports[m.group(2)] = m.group(1)

    def resolve(path_parts):
        """The deepest module a `crate::a::b::c` path names ('' is the root's own items)."""
        for k in range(len(path_parts), 0, -1):
            cand = "::".join(path_parts[:k])
            if cand in modules and cand != "":
                return cand
        if path_parts and path_parts[0] in reexports:
            return resolve(reexports[path_parts[0]].split("::"))
        return ""

    edges = {m: set() for m in modules}
    for mod, text in files.items():
        if mod == "":
            # The root's declarations and re-exports are the facade, not dependencies.
            text = re.sub(r"(?m)^\s*(pub(\([^)]*\))?\s+)?(mod\s+\w+\s*;|use\s+[^;]*;)", "", text)
            # Its code names modules without `crate::` too.
            for m in re.finditer(r"\b(\w+)::", text):
                if m.group(1) in modules and m.group(1) != "":
                    edges[mod].add(m.group(1))
        here = mod.split("::") if mod else []
        targets = []
        # use crate::{a, b::c}; use crate::a::{x, y};
        for m in re.finditer(r"\buse\s+crate::\{([^;]*)\};", text):
            for item in re.split(r",(?![^{]*\})", m.group(1)):
                item = item.strip()
                if item:
                    targets.append(re.split(r"::\{", item)[0].split("::"))
        for m in re.finditer(r"\bcrate::((?:\w+::)*\w+)", text):
            targets.append(m.group(1).split("::"))
        for m in re.finditer(r"\bsuper::((?:\w+::)*\w+)", text):
            parent = here[:-1]
            targets.append(parent + m.group(1).split("::"))
        for m in re.finditer(r"\bself::((?:\w+::)*\w+)", text):
            targets.append(here + m.group(1).split("::"))
        for t in targets:
            r = resolve(t)
            if r is not None and r != mod and not (mod and r.startswith(mod + "::")) and not (mod == "" and r):
                # A parent naming its own child module is ownership, not a dependency.
                if mod.startswith(r + "::") and t[: len(r.split("::"))] == r.split("::") and len(t) == len(r.split("::")):
                    continue
                edges[mod].add(r)
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def crate_deps(crate_dir):
    text = (crate_dir / "Cargo.toml").read_text(encoding="utf-8")
    deps = set()
    section = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s
            continue
        m = re.match(r"(kefu-[\w-]+)\s*=", s)
        if m and section == "[dependencies]":
            deps.add(m.group(1))
    return deps


def main():
    show_edges = "--edges" in sys.argv
    dot = "--dot" in sys.argv
    failed = False
    if dot:
        print("digraph kefu {")
    for name in LAYERS:
        crate_dir = ROOT / "crates" / name
        if not crate_dir.exists():
            continue
        bad = crate_deps(crate_dir) - ALLOWED[name]
        if bad:
            failed = True
            print(f"{name}: depends on {', '.join(sorted(bad))}, which is not inward of it")
        edges = crate_graph(crate_dir)
        if dot:
            for a in sorted(edges):
                for b in sorted(edges[a]):
                    print(f'  "{name}::{a}" -> "{name}::{b}";')
            continue
        found = cycles(edges)
        status = "no cycles" if not found else f"{len(found)} cycle(s)"
        print(f"{name}: {len(edges)} modules, {sum(len(e) for e in edges.values())} dependencies, {status}")
        for comp in found:
            failed = True
            print("  cycle: " + " ⇄ ".join(c or "(root)" for c in comp))
            for a in comp:
                inside = sorted(b for b in edges[a] if b in comp)
                print(f"    {a or '(root)'} → {', '.join(b or '(root)' for b in inside)}")
        if show_edges:
            for a in sorted(edges):
                print(f"    {a} → {', '.join(sorted(edges[a])) or '—'}")
    if dot:
        print("}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
