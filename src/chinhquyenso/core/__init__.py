"""Bottom of the stack: helpers every app may use (text folding, request ids, projector registry, API errors)."""
