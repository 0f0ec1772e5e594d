"""python -m esmsnum"""

from esmsnum.cli import entry

entry()
