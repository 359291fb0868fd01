"""Document: from a trace to the template context, every number already LaTeX text."""
