"""Regenerate the bundled demo pool.

python -m cartrial.synthetic > src/cartrial/data/demo/screening-pool.jsonl
"""

import json
import sys

from cartrial.synthetic.candidates import DEMO_POOL_SIZE, DEMO_SCREENING_DATE, DEMO_SEED, generate_candidates

for record in generate_candidates(DEMO_POOL_SIZE, DEMO_SEED, DEMO_SCREENING_DATE):
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
