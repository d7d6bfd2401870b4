"""Soak: the real scheduler crawling the sample web over and over; does anything grow that should not?

Starts the bundled sample web and `speechwatch schedule` (a child process) with one sample source on
`@every Ns`, then samples, every `--every` finished runs: the scheduler's RSS and open file descriptors (from
/proc), the database file size, and the runs so far. Goals (issue 9): RSS growth ≤ 10 % after warm-up, no
file-descriptor growth, database size growing only with new content (the sample web's content does not change,
so after the first run it should stay nearly flat: run rows and their stats only).

    .venv/bin/python bench/soak.py --runs 200          # ~20 min on 2 cores
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.sampleweb.server import SampleWeb  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import CrawlRun  # noqa: E402

SAMPLE_SOURCES = ROOT / "monitor" / "sampleweb" / "sources.toml"


def proc_status(pid: int) -> tuple[int, int]:
    """(RSS in KiB, open file descriptors) of a live process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def finished_runs(db_url: str) -> list[CrawlRun]:
    from sqlalchemy import select

    with Database(db_url) as db, db.read() as session:
        return list(session.scalars(select(CrawlRun).where(CrawlRun.status != "running").order_by(CrawlRun.id)))


def db_bytes(path: Path) -> int:
    """The database file's size after a passive WAL checkpoint (the WAL itself cycles up to ~4 MB)."""
    import sqlite3

    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="finished runs to wait for (default 200)")
    parser.add_argument("--every", type=int, default=20, help="sample every N runs (default 20)")
    parser.add_argument("--interval", type=int, default=2, help="seconds between scheduled runs (default 2)")
    parser.add_argument("--source", default="fanwen365", help="sample source to crawl (default fanwen365)")
    parser.add_argument("--warmup", type=int, default=20, help="runs before the RSS baseline (default 20)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="speechwatch-soak-"))
    db_path = work / "soak.db"
    db_url = f"sqlite:///{db_path}"
    sources = work / "sources.toml"
    blocks = SAMPLE_SOURCES.read_text(encoding="utf-8").split("[[source]]")
    (block,) = [b for b in blocks[1:] if f'name = "{args.source}"' in b]
    sources.write_text("[[source]]" + re.sub(r'schedule = "[^"]*"', f'schedule = "@every {args.interval}s"', block))
    Database(db_url).close()
    print(f"soak  {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"scheduler crawling {args.source} every {args.interval} s into {db_path}; {args.runs} runs\n")
    print(f"{'runs':>5} {'min':>6} {'RSS MiB':>8} {'fds':>5} {'DB KiB':>8} {'status of the last runs'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEECHWATCH_")}
    env["SPEECHWATCH_LOG_DIR"] = str(work / "logs")
    samples: list[tuple[int, int, int, int]] = []
    started = time.monotonic()
    with SampleWeb() as web:
        command = [sys.executable, "-m", "monitor.cli", "schedule", "--sources", str(sources), "--db", db_url,
                   "--proxy", web.proxy_url, "--digest-schedule", "off", "--timeout", "120"]  # fmt: skip
        log = (work / "scheduler.log").open("w")
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            next_sample = args.every
            while True:
                time.sleep(2)
                if proc.poll() is not None:
                    print(f"the scheduler exited with {proc.returncode}; see {work / 'scheduler.log'}")
                    return 1
                runs = finished_runs(db_url)
                if len(runs) >= next_sample or len(runs) >= args.runs:
                    rss, fds = proc_status(proc.pid)
                    size = db_bytes(db_path)
                    samples.append((len(runs), rss, fds, size))
                    tail = ", ".join(sorted({r.status for r in runs[-args.every :]}))
                    minutes = (time.monotonic() - started) / 60
                    print(f"{len(runs):>5} {minutes:>6.1f} {rss / 1024:>8.1f} {fds:>5} {size / 1024:>8.0f} {tail}")
                    next_sample += args.every
                if len(runs) >= args.runs:
                    break
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
            log.close()
    base = next((s for s in samples if s[0] >= args.warmup), samples[0])
    last = samples[-1]
    runs = finished_runs(db_url)
    new_docs = sum(r.documents_new for r in runs)
    print()
    print(f"RSS after warm-up ({base[0]} runs) {base[1] / 1024:.1f} MiB → {last[1] / 1024:.1f} MiB at {last[0]}: "
          f"{(last[1] / base[1] - 1) * 100:+.1f} % (goal ≤ +10 %)")  # fmt: skip
    print(f"open fds {base[2]} → {last[2]} (goal: no growth)")
    print(f"database {base[3] / 1024:.0f} KiB → {last[3] / 1024:.0f} KiB: "
          f"{(last[3] - base[3]) / max(1, last[0] - base[0]):.0f} bytes per run after warm-up; "
          f"new documents over all runs: {new_docs} (all in the first run: the content does not change)")  # fmt: skip
    print(f"run statuses: { {s: sum(1 for r in runs if r.status == s) for s in {r.status for r in runs}} }")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
