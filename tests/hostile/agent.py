"""An external agent whose error, output and stdout carry a hostile payload (stdlib only).

``error`` answers with the payload as its error; ``output`` answers it as its output;
``garbage`` writes it as a line that is not JSON.
"""

import json
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from payload import payload


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        what = json.loads(line)["input"]
        if what == "garbage":
            sys.stdout.write(payload().replace("\n", " ") + "\n")
            sys.stdout.flush()
            time.sleep(3600)
        reply = {"output": payload(), "error": None}
        if what == "error":
            reply = {"output": None, "error": payload()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
