#!/usr/bin/env python3
"""Ours against llama.cpp's own tools, side by side, interleaved, on one model: the table for docs/benchmarks.md.

    bench/vs-llama.py                      # synthesized small F16 model, 2 threads, 5 rounds
    bench/vs-llama.py --rounds 9 --threads 2 --model .cache/bench/small-f16.gguf

Each round runs, in this order: llama-batched-bench -pps (best-of-N shape: one 128-token prompt shared by N
sequences, 64 new tokens each), `merlinite bench sample` on the same shape, llama-batched-bench prefill (8 x 192
tokens), `merlinite bench score` (4 prompts x 8 responses, 128 + 64 tokens, log-softmax included), and
llama-perplexity on 192-token chunks, 8 per batch (llama.cpp's own path that computes every position's logits, as
scoring must). This machine is
noisy, so every ratio is the median of the per-round ratios (each round's two figures were measured a minute apart),
with the range beside it.

Figures compared:
- sampling: our tokens/s over the generation phase only (after the shared prompt is decoded; choosing tokens
  included) against batched-bench's S_TG, which also excludes the prompt;
- scoring: our evaluated tokens/s (prompt tokens once per prompt + every response token but the last) against
  batched-bench's S_PP, which computes no logits but the last per sequence, and against llama-perplexity's prompt-eval
  tokens/s (all logits; its log-softmax, done after the decode, not counted).

The tools are built with the kernels of bin/merlinite: the portable tree for the one-file build
(bench/build-llama-tools.sh --portable), the per-CPU tree for a --native-cpu build (bench/build-llama-tools.sh).
"""
import argparse, datetime, os, platform, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", default=os.path.join(ROOT, ".cache/bench/small-f16.gguf"))
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--n", default="8,16", help="samples per prompt for the sampling rows")
ap.add_argument("--ours-args", default="", help="extra flags for both merlinite bench commands, e.g. --fast-attn")
args = ap.parse_args()

M = os.path.join(ROOT, "bin/merlinite")
if not os.path.exists(M): sys.exit("bin/merlinite missing: run ./build.sh")
one_file = "linked into this executable" in subprocess.run([M, "info"], capture_output=True, text=True).stdout
TOOLS = os.path.join(ROOT, ".cache/llama-server-portable/bin" if one_file else ".cache/llama-native/bin")
BB, PPL = os.path.join(TOOLS, "llama-batched-bench"), os.path.join(TOOLS, "llama-perplexity")
if not (os.path.exists(BB) and os.path.exists(PPL)):
    subprocess.run([os.path.join(ROOT, "bench/build-llama-tools.sh")] + (["--portable"] if one_file else []), check=True)
ENV = dict(os.environ, LD_LIBRARY_PATH=TOOLS)
if not os.path.exists(args.model):
    os.makedirs(os.path.dirname(args.model), exist_ok=True)
    subprocess.run([M, "synth", "--preset", "small", "--type", "f16", "--seed", "1", "--out", args.model], check=True, capture_output=True)
ns = [int(x) for x in args.n.split(",")]
t = str(args.threads)
extra = args.ours_args.split()

def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if r.returncode != 0: sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r.stdout

def batched_bench(npp, ntg, npl, pps):
    out = run([BB, "-m", args.model, "-c", "4096", "-b", "2048", "-ub", "512", "-npp", str(npp), "-ntg", str(ntg),
               "-npl", ",".join(map(str, npl)), "-t", t] + (["-pps"] if pps else []))
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0].isdigit():
            rows[int(cells[2])] = {"S_PP": float(cells[5]), "S_TG": float(cells[7])}
    return rows

def ours_sample():
    out = run([M, "bench", "sample", "-m", args.model, "--n", args.n, "-t", t, "--reps", "1", "--no-single"] + extra)
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"^\s*(\d+) batched.*\s([\d.]+)\s*$", out, re.M)}

def ours_score():
    out = run([M, "bench", "score", "-m", args.model, "-t", t, "--reps", "1"] + extra)
    m = re.search(r"shared-prompt batched.*\s([\d.]+)\s*$", out, re.M)
    return float(m.group(1))

# Text for llama-perplexity: random words (what is computed does not depend on which tokens they are).
TEXT = os.path.join(os.path.dirname(os.path.abspath(args.model)), "vs-llama-words.txt")
if not os.path.exists(TEXT):
    import random
    words = ["alpha", "river", "stone", "seven", "garden", "light", "number", "quiet", "table", "north", "paper", "green"]
    rng = random.Random(1)
    with open(TEXT, "w") as f: f.write(" ".join(rng.choice(words) for _ in range(20000)))

def perplexity():
    """Tokens/s of llama-perplexity's whole pass (decode with every position's logits, then its own log-softmax), from
    its log's timestamps between "calculating perplexity" and "Final estimate": 32 chunks x 192 tokens."""
    r = subprocess.run([PPL, "-m", args.model, "-f", TEXT, "-c", "192", "-b", "1536", "-ub", "512", "--chunks", "32",
                        "-t", t], capture_output=True, text=True, env=ENV)
    def stamp(what):  # the log's M.SS.mmm.uuu prefix
        m, sec, ms, us = map(int, re.search(r"(\d+)\.(\d+)\.(\d+)\.(\d+) I " + what, r.stderr).groups())
        return 60 * m + sec + ms / 1e3 + us / 1e6
    if r.returncode != 0: sys.exit(f"llama-perplexity failed:\n{r.stderr[-2000:]}")
    return 32 * 192 / (stamp("Final estimate") - stamp("perplexity: calculating perplexity over"))

series = {}
def add(key, ours, theirs):
    series.setdefault(key, []).append((ours, theirs))

for r in range(args.rounds):
    tg = batched_bench(128, 64, ns, pps=True)
    ours = ours_sample()
    for n in ns: add(f"best-of-{n}, 128-token prompt, 64 new (tok/s) | S_TG", ours[n], tg[n]["S_TG"])
    pp = batched_bench(192, 1, [8], pps=False)
    score = ours_score()
    add("scoring, 4 prompts x 8 responses, 128 + 64 tokens (evaluated tok/s) | S_PP 8 x 192", score, pp[8]["S_PP"])
    add("scoring, as above (evaluated tok/s) | llama-perplexity, 192-token chunks x 8, all logits", score, perplexity())
    print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
libs = "one-file build (x86-64-v3), tools from the portable tree" if one_file else \
    open(os.path.join(ROOT, "native/lib/.variant")).read().strip() if os.path.exists(os.path.join(ROOT, "native/lib/.variant")) else "?"
if os.environ.get("MERLINITE_LIB_DIR"): libs = f"ours from MERLINITE_LIB_DIR={os.environ['MERLINITE_LIB_DIR']}, the tools from {libs}"
print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {cpu}, {os.cpu_count()} cores, threads {t}, "
      f"llama.cpp libraries: {libs}, model {os.path.basename(args.model)}, {args.rounds} rounds, ours: {' '.join(extra) or 'defaults'}")
print(f"command: bench/vs-llama.py --rounds {args.rounds} --threads {t}" + (f" --ours-args '{args.ours_args}'" if extra else ""))
print()
print("| what | llama.cpp (median) | ours (median) | ratio: median of rounds | range |")
print("|---|---|---|---|---|")
for key, pairs in series.items():
    what, tool = key.split(" | ")
    ratios = [o / l for o, l in pairs]
    print(f"| {what} | {tool} {statistics.median(l for _, l in pairs):.0f} | {statistics.median(o for o, _ in pairs):.0f} | "
          f"**{statistics.median(ratios):.2f}x** | {min(ratios):.2f}-{max(ratios):.2f} |")
