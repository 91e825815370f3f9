"""Benchmark: the cost of signing an issued PDF (issue 17), next to its render (bench/documents.py's documents).

Each document of bench/documents.py is rendered once (as the application renders it), then signed N times with the
demo key (ECDSA P-256, PAdES B-B: `processes.pades.DocumentSigner.sign`, exactly what the render queue calls) and,
for comparison, with an RSA-3072 key. Printed per document: the render's median wall time, and the signing's median
and p95 wall and CPU times (the signing overhead per document). Aim (issue 17): within 20 ms per document.
No timestamp authority is involved (B-T adds one HTTP round trip to the authority, which is the authority's time).
Usage: `.venv/bin/python bench/signing.py [--runs N]`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.documents import documents, percentile
from processes import signing, signing_keys

AIM_MS = 20.0


def signer_for(folder: Path, algorithm: str):
    keys = signing_keys.make_demo_keys(folder / algorithm, algorithm=algorithm)
    return signing.load_signer(signing.config_from({"KELISIM_SIGNING_P12": str(keys.p12),
                                                    "KELISIM_SIGNING_PASSWORD_FILE": str(keys.password_file)},
                                                   folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        signers = {"ECDSA P-256": signer_for(Path(tmp), "ecdsa"), "RSA-3072": signer_for(Path(tmp), "rsa")}
        print(f"{'document':<24} {'render ms':>9} | {'key':<11} {'sign ms':>8} {'p95':>7} {'CPU ms':>7} {'KB +':>6}")
        worst = 0.0
        for name, render in documents().items():
            render()  # warm-up
            renders = []
            for _ in range(3):
                start = time.perf_counter()
                pdf = render()
                renders.append(time.perf_counter() - start)
            for label, signer in signers.items():
                signer.sign(pdf)  # warm-up: sizes the signature's room once per signer
                wall, cpu = [], []
                for _ in range(args.runs):
                    w, c = time.perf_counter(), time.process_time()
                    signed = signer.sign(pdf)
                    cpu.append(time.process_time() - c)
                    wall.append(time.perf_counter() - w)
                median = statistics.median(wall) * 1000
                if label == "ECDSA P-256":
                    worst = max(worst, median)
                print(f"{name:<24} {statistics.median(renders) * 1000:>9.1f} | {label:<11} {median:>8.1f} "
                      f"{percentile(wall, 95) * 1000:>7.1f} {statistics.median(cpu) * 1000:>7.1f} "
                      f"{(len(signed.pdf) - len(pdf)) / 1024:>6.1f}")
        verdict = "within" if worst <= AIM_MS else "OVER"
        print(f"\nsigning overhead (demo key, ECDSA): worst median {worst:.1f} ms per document: {verdict} the "
              f"{AIM_MS:.0f} ms aim")


if __name__ == "__main__":
    main()
