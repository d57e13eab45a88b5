"""pylive.py - bench/run's large live set: Python (run with PYTHONMALLOC=malloc, so every object is a malloc
block) keeps about three million blocks alive, then writes and reads them as JSON, as a long-running
interpreter holding its data does."""
import json
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 250000
rows = [{"id": i, "name": "row-%d" % i, "values": [i, i * 2.5]} for i in range(count)]
text = json.dumps(rows)
back = json.loads(text)
print(len(back), len(text), sum(r["id"] for r in back))
