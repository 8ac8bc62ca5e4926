"""python -m minirnn: the same as the `minirnn` command."""
import sys

from .cli import main

sys.exit(main())
