"""Every op: the primitives (forward and gradient rule side by side) and composites built on them.

Importing the modules below runs their rows, and each row registers itself (ops/registry.py); the
public names of this package, and so of ``autonet``, are read from the registry, so a new row needs
no line here. ``autonet.ops.<name>`` is also ``autonet.<name>``.
"""

from autonet.ops import (  # noqa: F401  (importing runs the rows)
    contract,
    conv,
    elementwise,
    fused,
    indexing,
    linalg,
    nondiff,
    normalization,
    rearrange,
    recurrent,
    reduce,
    registry,
    scan,
    shape,
    torch_names,
    transcendental,
)
from autonet.ops.primitive import Primitive

registry.seal()
globals().update(registry.exports())
__all__ = ["Primitive", *registry.exports()]


def __getattr__(name: str):
    """Ops registered after import (a user's own Primitive rows) are found here too."""
    op = registry.lookup(name)
    if op is None:
        raise AttributeError(f"module 'autonet.ops' has no attribute {name!r}")
    return op
