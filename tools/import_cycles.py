#!/usr/bin/env python3
"""Import circles between the files of each crate (ARCHITECTURE.md: "no
import circles"). Reads every `crate::`, `super::` and `self::` path in the
`use` lines and in code of `<crate>/src`, maps it to the file (module) it
names, and looks for cycles among files. A folder's `mod.rs` and its own
files (parent <-> child) do not count. Exit 1 with each cycle found."""

import os
import re
import sys

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def modules(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            full = os.path.join(root, f)
            rel = os.path.relpath(full, src)[:-3].split(os.sep)
            if rel[-1] in ("lib", "main"):
                rel = rel[:-1]
            elif rel[-1] == "mod":
                rel = rel[:-1]
            out[tuple(rel)] = full
    return out


def resolve(mods, here, kind, rest):
    """The longest module a path names, from module `here`."""
    parts = [p for p in rest.split("::") if p]
    if kind == "crate":
        base = []
    elif kind == "self":
        base = list(here)
    else:
        base = list(here[:-1])
        while parts and parts[0] == "super":
            base = base[:-1]
            parts = parts[1:]
    best = None
    for n in range(len(parts) + 1):
        cand = tuple(base + parts[:n])
        if cand in mods:
            best = cand
    return best


def cycles(src):
    mods = modules(src)
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        # A file that is a folder's mod.rs is the module itself.
        here = m
        text = open(f, encoding="utf-8").read()
        # Strip comments and strings' obvious cases.
        text = re.sub(r"//[^\n]*", "", text)
        # Tests are not the code's structure: a test module may use fixtures
        # of a sibling (by convention at the end of the file).
        cut = text.find("#[cfg(test)]\nmod tests")
        if cut >= 0:
            text = text[:cut]
        if m[-1:] == ("fixtures",):
            continue
        for kind, rest in PATH.findall(text):
            target = resolve(mods, here if not f.endswith("mod.rs") else here + ("_",), kind, rest)
            if target is None or target == m:
                continue
            # Parent and child: a folder's mod.rs and its own files.
            if target[: len(m)] == m or m[: len(target)] == target:
                continue
            edges[m].add(target)
    # Strongly connected components (Tarjan).
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
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
                out.append(sorted("/".join(c) or "lib" for c in comp))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def main():
    bad = 0
    for crate in sys.argv[1:] or ["sim", "app", "server"]:
        for comp in cycles(os.path.join(crate, "src")):
            print(f"{crate}: import circle among {', '.join(comp)}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
