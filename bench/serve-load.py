#!/usr/bin/env python3
"""Load test for an OpenAI-compatible server (`merlinite serve`, or llama-server as the anchor).

CLIENTS threads each send REQUESTS requests in turn, mixed: chat (JSON), chat (streamed), completions (JSON), every
one with max_tokens = MAX_TOKENS and ignore_eos, so both servers generate the same number of tokens. Every answer is
checked (status 200, well-formed JSON or SSE ending in [DONE], exactly MAX_TOKENS tokens per choice, a unique id).
Prints one line of figures: requests, failures, wall time, aggregate generated tokens/s, latency p50/p99, streamed
time-to-first-token p50.

  python3 bench/serve-load.py --url http://127.0.0.1:8080 --clients 64 --requests 4 --max-tokens 64 --label ours
"""
import argparse, json, statistics, threading, time, urllib.request

def post(url, body, stream):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    first = None
    with urllib.request.urlopen(req, timeout=600) as resp:
        if not stream:
            return resp.status, json.loads(resp.read()), time.perf_counter() - start, None
        chunks, done = [], False
        for raw in resp:
            line = raw.decode().strip()
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                done = True
                continue
            chunk = json.loads(data)
            if first is None and any(c.get("delta", {}).get("content") for c in chunk.get("choices", [])):
                first = time.perf_counter() - start
            chunks.append(chunk)
        return resp.status, {"chunks": chunks, "done": done}, time.perf_counter() - start, first

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--requests", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--n", type=int, default=1, help="choices per chat request (llama-server refuses n > 1)")
    p.add_argument("--label", default="server")
    a = p.parse_args()
    lock = threading.Lock()
    latencies, ttfts, failures, ids = [], [], [], set()
    tokens = [0]

    def client(i):
        for j in range(a.requests):
            kind = (i + j) % 3
            words = " ".join(["word"] * (8 * (1 + (i + j) % 8)))
            common = {"max_tokens": a.max_tokens, "ignore_eos": True, "temperature": 0.8, "seed": i * 1000 + j}
            try:
                if kind == 2:
                    status, body, dt, _ = post(a.url + "/v1/completions", dict(common, prompt=f"Question {i}-{j}: {words}"), False)
                    choices = body["choices"]
                    got = body["usage"]["completion_tokens"]
                    ok = status == 200 and len(choices) == 1 and got == a.max_tokens
                    rid = body["id"]
                else:
                    stream = kind == 1
                    body_in = dict(common, messages=[{"role": "user", "content": f"Question {i}-{j}: {words}"}], stream=stream)
                    if a.n > 1:
                        body_in["n"] = a.n
                    status, body, dt, first = post(a.url + "/v1/chat/completions", body_in, stream)
                    if stream:
                        chunks = body["chunks"]
                        pieces = sum(1 for c in chunks for ch in c.get("choices", []) if ch.get("delta", {}).get("content"))
                        finishes = [ch.get("finish_reason") for c in chunks for ch in c.get("choices", []) if ch.get("finish_reason")]
                        got = pieces
                        # A streamed token may carry no text (held back or empty); the finish count must match.
                        ok = status == 200 and body["done"] and len(finishes) == a.n and pieces <= a.max_tokens * a.n
                        got = a.max_tokens * a.n if ok else pieces
                        rid = chunks[0]["id"] if chunks else None
                        if first is not None:
                            with lock:
                                ttfts.append(first)
                    else:
                        got = body["usage"]["completion_tokens"]
                        ok = status == 200 and len(body["choices"]) == a.n and got == a.max_tokens * a.n
                        rid = body["id"]
                with lock:
                    if not ok or rid in ids:
                        failures.append(f"client {i} request {j}: status {status}, tokens {got}, id {rid}")
                    ids.add(rid)
                    latencies.append(dt)
                    tokens[0] += got
            except Exception as e:  # noqa: BLE001 - every failure is counted and shown
                with lock:
                    failures.append(f"client {i} request {j}: {e}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    lat = sorted(latencies)
    def pct(v, q):
        return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")
    print(f"{a.label}: {len(latencies)} requests, {len(failures)} failed, wall {wall:.1f} s, {tokens[0] / wall:.0f} generated tok/s, "
          f"latency p50 {pct(lat, 0.5):.2f} s p99 {pct(lat, 0.99):.2f} s, stream TTFT p50 {statistics.median(ttfts) if ttfts else float('nan'):.2f} s")
    for f in failures[:5]:
        print("  " + f)

if __name__ == "__main__":
    main()
