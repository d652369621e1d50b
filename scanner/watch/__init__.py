"""rollready watch: a light, frequent look at ownership during mixed mode, and the alerts it raises."""
from scanner.watch.alerts import Alert, evaluate
from scanner.watch.light import look, parse_watch_output, watch_script

__all__ = ["Alert", "evaluate", "look", "parse_watch_output", "watch_script"]
