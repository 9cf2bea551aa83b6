"""TorchServe's handler API (`ts`), implemented by Hearth.

Handler files written for TorchServe import these modules unchanged; the
Hearth Python worker (hearth_worker) calls them. This is Hearth's own code,
written to TorchServe's documented behaviour.
"""

__version__ = "0.12.0"
