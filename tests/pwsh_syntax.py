"""PowerShell syntax errors as tree-sitter-powershell sees them (a grammar, not PowerShell itself).

Known grammar gap: bare comma lists in argument mode (Format-Table Name, State) are valid PowerShell
but not parsed; the scripts rollready writes use @('Name', 'State') instead.
"""
from __future__ import annotations


def powershell_errors(source: str) -> list[str]:
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


def command_names(source: str) -> set[str]:
    """Every command the script would run (names of `command` nodes), wherever they are nested."""
    import tree_sitter
    import tree_sitter_powershell

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    names: set[str] = set()
    stack = [parser.parse(source.encode("utf-8")).root_node]
    while stack:
        node = stack.pop()
        if node.type == "command_name" and node.text is not None:
            names.add(node.text.decode("utf-8"))
        stack.extend(node.children)
    return names
