#!/usr/bin/env python3
"""Apache Arrow's ADBC PostgreSQL driver loading Arrow batches: the reference for arrow_copy.

    python3 benches/adbc/ingest.py --parquet FILE_OR_DIR --table NAME --uri postgresql://... \
        [--repeat N] [--batch-rows N]

Reads the Parquet file (or the *.parquet files of a directory, in name order) into a pyarrow
Table of --batch-rows-row batches (default 8192, as arrow_copy reads them) before anything is
timed. Each repeat then times: adbc_driver_postgresql.dbapi.connect(uri),
cursor.adbc_ingest(table, data, mode="replace") (DROP IF EXISTS + CREATE + COPY in the
connection's transaction), commit. An untimed CHECKPOINT runs before each repeat, as in
arrow_copy. Prints one line per repeat (rows, seconds, rows/s, MB/s of Arrow buffer bytes,
Table.nbytes) and the median.

Needs: pip install adbc-driver-postgresql pyarrow (see compare.sh for the venv).
"""

import argparse
import pathlib
import statistics
import time

import adbc_driver_postgresql
import adbc_driver_postgresql.dbapi as adbc
import pyarrow as pa
import pyarrow.parquet as pq


def read_batches(path: pathlib.Path, batch_rows: int) -> pa.Table:
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise SystemExit(f"{path}: no *.parquet files")
    batches = []
    for f in files:
        batches.extend(pq.ParquetFile(f).iter_batches(batch_size=batch_rows))
    return pa.Table.from_batches([b for b in batches if b.num_rows > 0])


def line(label: str, rows: int, seconds: float, nbytes: int) -> str:
    return (
        f"{label}: rows {rows} seconds {seconds:.3f} rows/s {rows / seconds:.0f} "
        f"MB/s {nbytes / 1e6 / seconds:.1f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parquet", required=True, type=pathlib.Path)
    p.add_argument("--table", required=True)
    p.add_argument("--uri", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--batch-rows", type=int, default=8192)
    a = p.parse_args()

    table = read_batches(a.parquet, a.batch_rows)
    rows, nbytes = table.num_rows, table.nbytes
    print(
        f"ADBC (adbc-driver-postgresql {adbc_driver_postgresql.__version__}, "
        f"pyarrow {pa.__version__}): {rows} rows, {len(table.to_batches())} batches, "
        f"{nbytes / 1e6:.1f} MB Arrow, table {a.table}"
    )
    seconds = []
    for i in range(1, a.repeat + 1):
        with adbc.connect(a.uri, autocommit=True) as c, c.cursor() as cur:
            try:
                cur.execute("CHECKPOINT")
            except adbc.Error:
                pass
        started = time.perf_counter()
        with adbc.connect(a.uri) as conn:
            with conn.cursor() as cur:
                written = cur.adbc_ingest(a.table, table, mode="replace")
            conn.commit()
        s = time.perf_counter() - started
        if written not in (-1, rows):
            raise SystemExit(f"ADBC wrote {written} rows, expected {rows}")
        print(line(f"run {i}", rows, s, nbytes), flush=True)
        seconds.append(s)
    print(line("median", rows, statistics.median_low(seconds), nbytes))


if __name__ == "__main__":
    main()
