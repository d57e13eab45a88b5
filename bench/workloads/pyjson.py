"""Benchmark workload: build JSON documents, dump them and parse them back.

Run with PYTHONMALLOC=malloc so that every Python object goes through malloc,
where a tracer sees it.  Usage: pyjson.py [ROUNDS [DOCUMENTS]]; the default
(13 rounds of 2000 documents) makes about 8 million allocation calls.  The
content is deterministic.
"""
import json
import random
import sys


def make_document(rng, index):
    """One order-like record: nested objects, lists, strings and numbers."""
    return {
        "id": index,
        "customer": {
            "name": "customer-%d" % rng.randrange(100000),
            "email": "user%d@example.org" % rng.randrange(100000),
            "tags": ["tag%d" % rng.randrange(50) for _ in range(rng.randrange(1, 6))],
        },
        "lines": [
            {"sku": "SKU-%06d" % rng.randrange(1000000), "quantity": rng.randrange(1, 20),
             "price": round(rng.uniform(0.5, 500.0), 2), "gift": rng.random() < 0.1}
            for _ in range(rng.randrange(1, 12))
        ],
        "note": None if rng.random() < 0.5 else "x" * rng.randrange(10, 200),
    }


def run_round(rng, round_number, documents_per_round):
    """Builds a batch, serializes it, parses it back and checks a few totals."""
    batch = [make_document(rng, round_number * documents_per_round + i) for i in range(documents_per_round)]
    text = json.dumps(batch)
    parsed = json.loads(text)
    quantities = sum(line["quantity"] for doc in parsed for line in doc["lines"])
    expected = sum(line["quantity"] for doc in batch for line in doc["lines"])
    if quantities != expected or len(parsed) != len(batch):
        raise SystemExit("pyjson: round trip changed the data")
    return len(text)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 13
    documents = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rng = random.Random(20240601)
    total = sum(run_round(rng, r, documents) for r in range(rounds))
    print("pyjson: %d rounds, %d bytes of JSON" % (rounds, total))


if __name__ == "__main__":
    main()
