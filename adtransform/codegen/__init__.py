"""Code generation: IR -> gast -> ast -> text (ast.unparse) -> compiled function."""
