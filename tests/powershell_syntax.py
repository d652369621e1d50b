"""PowerShell syntax errors found by tree-sitter-powershell (the grammar, not PowerShell itself):
the check for generated and shipped PowerShell, since no PowerShell runs here."""
from __future__ import annotations


def powershell_errors(source: str) -> list[str]:
    """Each ERROR or missing node of the parse, with its position."""
    import tree_sitter
    import tree_sitter_powershell

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    found: list[str] = []
    stack = [parser.parse(source.encode("utf-8")).root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(f"{node.start_point}: {node.text!r}"[:120])
        stack.extend(node.children)
    return found
