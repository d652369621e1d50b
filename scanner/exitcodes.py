"""Exit codes: the verdict codes first, then sysexits-style errors."""
GO = 0
GO_WITH_WARNINGS = 1
NO_GO = 2
INCOMPLETE = 3
LOCKED = 75  # another scheduled run holds the lock (EX_TEMPFAIL)
USAGE = 64
DATAERR = 65
UNAVAILABLE = 69  # the PDF could not be made: WeasyPrint's Pango is missing (EX_UNAVAILABLE)
INTERNAL = 70
CANTCREAT = 73  # an output file could not be written
INTERRUPTED = 130
TERMINATED = 143  # SIGTERM: handled like Ctrl-C (partial facts and reports kept), 128 + 15 as shells report it
