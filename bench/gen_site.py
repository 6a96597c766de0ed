#!/usr/bin/env python3
"""Generates a site of N terms-like pages (40-120 KB each) for the benchmark.

usage: gen_site.py OUTDIR N REVISION
  REVISION 0 writes the base site; REVISION 1 edits 10% of the pages meaningfully (a clause inside <main> changes)
  and another 10% only cosmetically (whitespace, attribute order, comments, scripts, text outside <main>).
  Prints the ids of the meaningful changes to OUTDIR/expected-changes.txt.
"""
import os
import random
import sys

WORDS = ("provider customer service agreement terms data model output region country export control use policy "
         "license content personal information security access account api usage restriction law compliance "
         "government sanction jurisdiction availability support update notice liability warranty").split()


def sentence(rng, n=None):
    n = n or rng.randint(8, 22)
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def page(i, meaningful=False, cosmetic=False):
    rng = random.Random(i)
    target = rng.randint(40_000, 120_000)
    nav = "".join(f'<li><a href="/p/{j}.html" class="nav-link" data-idx="{j}">Section {j}</a></li>' for j in range(40))
    script = "<script>window.__BUILD__ = '%s'; function track(){ return 1; }</script>" % ("b2" if cosmetic else "b1")
    style = "<style>body{font-family:sans-serif} .x{color:#333}</style>"
    parts = [f"<h1>Terms of Service {i}</h1>", "<p>Effective date: 2026-01-01.</p>"]
    section = 0
    body_len = 0
    while body_len < target - 6_000:
        section += 1
        chunk = [f"<h2>{section}. {sentence(rng, 4)}</h2>"]
        for _ in range(rng.randint(2, 5)):
            chunk.append(f"<p>{paragraph(rng)}</p>")
        if rng.random() < 0.4:
            chunk.append("<ul>" + "".join(f"<li>{sentence(rng, 6)}</li>" for _ in range(rng.randint(3, 8))) + "</ul>")
        html = "\n".join(chunk)
        parts.append(html)
        body_len += len(html)
    if meaningful:
        parts.insert(3, "<p>Access to the services from unsupported regions, including China, is prohibited.</p>")
    main = "\n".join(parts)
    if cosmetic:
        main = main.replace("<p>", "<p >\n   ").replace("</h2>", "</h2>\n\n")
        nav = nav.replace('class="nav-link" data-idx', 'data-idx').replace("<li>", '<li class="nav-link">')
    footer = "<footer><p>&copy; 2026 Example AI. All rights reserved.%s</p></footer>" % (" <!-- rebuilt -->" if cosmetic else "")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Terms {i}</title>{style}{script}</head>"
            f"<body><header><nav><ul>{nav}</ul></nav></header>\n<main>\n{main}\n</main>\n{footer}</body></html>\n")


def main():
    out, n, revision = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(os.path.join(out, "p"), exist_ok=True)
    tenth = max(1, n // 10)
    meaningful = set(range(0, tenth)) if revision else set()
    cosmetic = set(range(tenth, 2 * tenth)) if revision else set()
    for i in range(n):
        if revision and i not in meaningful and i not in cosmetic:
            continue  # untouched pages keep their bytes, mtime and ETag
        with open(os.path.join(out, "p", f"{i}.html"), "w", encoding="utf-8") as f:
            f.write(page(i, i in meaningful, i in cosmetic))
    with open(os.path.join(out, "expected-changes.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(f"page-{i:05d}" for i in sorted(meaningful)))


if __name__ == "__main__":
    main()
