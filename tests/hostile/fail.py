"""A setup or teardown command that prints the hostile payload to stderr and fails."""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from payload import payload

sys.stderr.write(payload() + "\n")
sys.exit(1)
