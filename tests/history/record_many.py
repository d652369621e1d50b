"""Run as a separate process by test_store: record every scan in a JSON file into one history."""
import json
import sys

from scanner.history import HistoryStore

if __name__ == "__main__":
    db, docs = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
    store = HistoryStore.open(db)
    for result, facts, sha in docs:
        store.record(result, facts, sha)
    store.close()
