"""The facts: what was collected from one cluster, and the view of it that rules read.

Data flow: inventory → collect → **facts** → engine. One module per responsibility:

- `model.py`: the typed shape of the document and of the view (TypedDicts: plain JSON at run time,
  every key the code uses checked by mypy);
- `document.py`: read a facts file, check it against schemas/facts.schema.json, its collection gaps;
- `outputs.py`: per-node collector outputs merged into one document (the one cluster view kept);
- `view.py`: `FactsView`, the document plus the joins rules read, built once per scan.
"""
