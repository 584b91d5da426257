"""Container entrypoint: hand the runner's environment to the shared flow."""

import os
import sys

from publisher.action import main

if __name__ == "__main__":
    sys.exit(main(os.environ))
