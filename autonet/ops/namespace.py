"""The two namespaces a gradient rule runs in (see primitive.py), derived from the op rows.

``NUMPY`` maps each op name to raw numpy (a primitive's own forward), for the fast backward.
``AUTONET`` maps the same names to the differentiable ops, for ``create_graph=True``. Every
primitive is in both (registry.py fills them as rows register), plus composites that name a numpy
twin with the same signature.
"""

from autonet.ops.registry import AUTONET, NUMPY

__all__ = ["AUTONET", "NUMPY"]
