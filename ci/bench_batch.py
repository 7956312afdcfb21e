"""The batch benchmark behind ci/bench: for each scale, a national landing zone from
`baseline generate` (no faults, so both sides must agree), then `baseline run` and the DuckDB
peer (bench_duckdb.py) alternately, three times each, with wall time and peak memory; prints
medians, the ratio, Baseline's stages, cost per million device rows, and whether the outcome and
status counts agree.

    python bench_batch.py BASELINE PEER_PYTHON WORKDIR SCALE...
"""
import collections, csv, json, os, shutil, statistics, subprocess, sys

baseline, python, work, scales = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
here = os.path.dirname(os.path.abspath(__file__))
schemas = os.path.join(here, "..", "schemas")
ROUNDS = 3


def timed(command, log):
    """Wall seconds and peak RSS (MiB) of one command, by /usr/bin/time."""
    stats = os.path.join(work, "time")
    with open(log, "w") as out:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", stats, *command], stdout=out, stderr=subprocess.STDOUT, check=True)
    wall, rss = open(stats).read().split()[-2:]
    return float(wall), int(rss) / 1024


def counts(table, column):
    with open(table) as f:
        return dict(collections.Counter(r[column] for r in csv.DictReader(f)))


for scale in scales:
    data = os.path.join(work, f"scale-{scale}")
    made = subprocess.run([baseline, "generate", "--out", data, "--scale", scale, "--seed", "1", "--fault-rate", "0"],
                          capture_output=True, text=True, check=True).stdout.strip()
    rows = int(made.split(" files and ")[1].split(" device rows")[0])
    size = subprocess.run(["du", "-sh", os.path.join(data, "landing")], capture_output=True, text=True).stdout.split()[0]
    print(f"scale {scale}: {made.splitlines()[-1]} ({size})")
    landing, reference = os.path.join(data, "landing"), os.path.join(data, "reference", "organisations.csv")
    out, peer_out = os.path.join(work, "out"), os.path.join(work, "peer-out")
    ours, theirs = [], []
    for _ in range(ROUNDS):
        shutil.rmtree(out, ignore_errors=True)
        ours.append(timed([baseline, "run", "--input", landing, "--reference", reference, "--out", out],
                          os.path.join(work, "baseline.log")))
        shutil.rmtree(peer_out, ignore_errors=True)
        theirs.append(timed([python, os.path.join(here, "bench_duckdb.py"), landing, reference, schemas, peer_out],
                            os.path.join(work, "peer.log")))
    wall, rss = statistics.median(w for w, _ in ours), max(r for _, r in ours)
    peer_wall, peer_rss = statistics.median(w for w, _ in theirs), max(r for _, r in theirs)
    stages = json.load(open(os.path.join(out, "2026-10", "manifest.json")))["timings_ms"]
    peer = json.loads(open(os.path.join(work, "peer.log")).read().strip().splitlines()[-1])
    tables = os.path.join(out, "2026-10", "tables")
    agree = (counts(os.path.join(tables, "outcomes.csv"), "outcome") == peer["outcomes"]
             and counts(os.path.join(tables, "org_status.csv"), "status") == peer["statuses"])
    print(f"  baseline run: median {wall:.2f} s of {', '.join(f'{w:.2f}' for w, _ in ours)}; peak RSS {rss:.0f} MiB; "
          f"{wall / rows * 1e6:.2f} s per million device rows")
    print("    stages (ms, last run): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    print(f"  duckdb peer:  median {peer_wall:.2f} s of {', '.join(f'{w:.2f}' for w, _ in theirs)}; peak RSS {peer_rss:.0f} MiB; "
          f"stages (s, last run): {', '.join(f'{k} {v}' for k, v in peer['seconds'].items())}")
    print(f"  ratio baseline/peer: {wall / peer_wall:.2f}; outcome and status counts agree: {'yes' if agree else 'NO'}")
    if not agree:
        print(f"    baseline {counts(os.path.join(tables, 'outcomes.csv'), 'outcome')} "
              f"{counts(os.path.join(tables, 'org_status.csv'), 'status')}\n    peer     {peer['outcomes']} {peer['statuses']}")
    shutil.rmtree(data)
    sys.stdout.flush()
