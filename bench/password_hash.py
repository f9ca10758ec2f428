"""Time one password hash and one verification with the production parameters (medians)."""

import statistics
import time

from app.services.passwords import HASHER, hash_password, verify_password

RUNS = 15


def _median_ms(func) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    stored = hash_password("correct horse battery staple")
    print(f"argon2id t={HASHER.time_cost} m={HASHER.memory_cost} KiB p={HASHER.parallelism}")
    hash_ms = _median_ms(lambda: hash_password("correct horse battery staple"))
    verify_ms = _median_ms(lambda: verify_password(stored, "correct horse battery"))
    print(f"hash   median {hash_ms:.1f} ms over {RUNS} runs")
    print(f"verify median {verify_ms:.1f} ms over {RUNS} runs")


if __name__ == "__main__":
    main()
