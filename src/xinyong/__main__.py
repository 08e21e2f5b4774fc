"""`python -m xinyong` runs the command line."""

from xinyong.cli import main

main()
