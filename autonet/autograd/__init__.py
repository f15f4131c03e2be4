"""The autograd machinery: graph recording, the backward engine, functional gradients."""
