"""HTTP routes of the generator, one module per resource."""
