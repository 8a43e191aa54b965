"""An MCP stdio server that prints its environment and the hostile payload to stderr, then dies."""

import os
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from payload import payload

sys.stderr.write(payload() + "\n")
for name, value in sorted(os.environ.items()):
    sys.stderr.write(f"{name}={value}\n")
sys.stderr.flush()
sys.exit(1)
