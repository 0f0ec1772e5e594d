"""The base every layer stands on: data models, the call configuration, limits, catalogues.

Imports nothing from the other packages of the project.
"""

__version__ = "0.1.0"
